/**
 * Every code an error can carry: the vocabulary tools, job records and the CLI answer with. Grouped by where they
 * arise; adding a code means adding it here, so the set stays one closed list a reader can scan.
 */
export type ErrorCode =
  // arguments and lookups
  | 'invalid_argument'
  | 'unknown_server'
  | 'unknown_job'
  | 'unknown_type'
  | 'server_exists'
  | 'confirmation_required'
  | 'shutting_down'
  | 'internal_error'
  // SSH: connecting, authenticating, running
  | 'connection_refused'
  | 'connection_lost'
  | 'connect_timeout'
  | 'dns_failure'
  | 'host_unreachable'
  | 'auth_failed'
  | 'host_key_mismatch'
  | 'key_file_missing'
  | 'key_file_invalid'
  | 'no_auth_method'
  | 'secret_env_missing'
  | 'agent_missing'
  | 'ssh_error'
  | 'channel_failed'
  | 'exec_refused'
  // reaching servers: jump hosts, ssh_config, known_hosts
  | 'bastion_unknown'
  | 'bastion_in_use'
  | 'bastion_unreachable'
  | 'forwarding_refused'
  | 'too_many_jumps'
  | 'host_key_revoked'
  | 'known_hosts_unreadable'
  | 'ssh_config_invalid'
  | 'ssh_config_not_found'
  | 'ssh_config_unreadable'
  | 'ssh_config_unsupported'
  // files
  | 'file_error'
  | 'file_not_found'
  | 'not_a_regular_file'
  | 'binary_content'
  | 'permission_denied'
  | 'no_space_left'
  | 'write_conflict'
  | 'sftp_unavailable'
  | 'sftp_unsupported'
  | 'transfer_verify_failed'
  | 'local_file_error'
  | 'files_root_unset'
  | 'files_root_missing'
  | 'path_outside_files_root'
  // jobs
  | 'timeout'
  | 'cancelled'
  | 'lost'
  | 'exit_code'
  | 'start_failed'
  | 'agent_unavailable'
  | 'agent_gone'
  | 'agent_request_failed'
  | 'store_corrupt'
  | 'store_unavailable'
  | 'store_unreachable'
  | 'store_too_new'
  | 'store_migration_failed'
  | 'invalid_database_url'
  | 'secret_key_missing'
  | 'secret_key_invalid'
  | 'secret_key_mismatch'
  | 'duplicate_job'
  | 'batch_failed'
  | 'deadline_exceeded'
  // provisioning (the provider's codes, see providers/errors.ts) and setup
  | ProviderCode
  | 'server_not_running'
  | 'delete_timeout'
  | 'not_created_by_deckhand'
  | 'no_ipv4'
  | 'boot_timeout'
  | 'ssh_timeout'
  | 'busy'
  | 'unsupported_os'
  | 'docker_install_failed'
  | 'swarm_worker'
  | 'swarm_inactive'
  | 'network_mismatch'
  | 'traefik_not_running'
  | 'disk_full'
  | 'needs_root'
  | 'sudo_password_required'
  | 'sudo_auth_failed'
  | 'sudo_not_allowed'
  | 'sudo_missing'
  | 'docker_missing'
  | 'swarm_state'
  | 'not_a_manager'
  | 'network_missing'
  | 'invalid_daemon_json'
  | 'email_required'
  | 'command_failed'
  | 'remote_failed'
  | 'remote_timeout'
  // apps
  | 'catalogue_invalid'
  | 'unknown_app'
  | 'dependency_invalid'
  | 'env_invalid'
  | 'compose_invalid'
  | 'render_invalid'
  | 'deploy_failed'
  | 'not_deployed'
  | 'volume_busy'
  | 'state_corrupt'
  | 'deploy_locked'
  // policy, approval, audit
  | 'policy_parser_missing'
  | 'policy_parser_closed'
  | 'policy_parse_failed'
  | 'audit_not_canonical'
  | 'input_missing'
  | 'dependency_unknown'
  | 'has_dependents'
  | 'undeploy_incomplete'
  // policy, approvals and the audit log
  | 'policy_parser_missing'
  | 'policy_parser_closed'
  | 'policy_parse_failed'
  | 'policy_invalid'
  | 'policy_denied'
  | 'approval_pending'
  | 'approval_declined'
  | 'approval_denied'
  | 'unknown_approval'
  | 'approval_expired'
  | 'approval_decided'
  | 'unknown_grant'
  | 'audit_not_canonical'
  | 'audit_unavailable'
  // run again / retry (the dashboard)
  | 'rerun_unsupported'
  | 'rerun_env_gone'
  // templates and schedules
  | 'unknown_template'
  | 'template_exists'
  | 'template_disabled'
  | 'template_changed'
  | 'template_param_missing'
  | 'template_param_invalid'
  | 'schedule_invalid';

/** The cloud provider's error codes (providers/errors.ts checks its own list against this one). */
export type ProviderCode =
  | 'missing_token'
  | 'unauthorized'
  | 'token_readonly'
  | 'forbidden'
  | 'not_found'
  | 'invalid_input'
  | 'unknown_server_type'
  | 'unknown_image'
  | 'unknown_location'
  | 'resource_unavailable'
  | 'resource_limit_exceeded'
  | 'uniqueness_error'
  | 'name_taken'
  | 'conflict'
  | 'locked'
  | 'protected'
  | 'maintenance'
  | 'rate_limit_exceeded'
  | 'server_error'
  | 'unavailable'
  | 'network_error'
  | 'timeout'
  | 'invalid_response'
  | 'action_failed'
  | 'create_outcome_unknown'
  | 'create_failed'
  | 'api_error';

/**
 * Typed errors. Every error a user can meet carries a stable `code` and a `hint` that says what to do,
 * so tool results can answer "what was wrong, what to do" without string matching.
 */
export class DeckhandError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeckhandError';
    this.code = code;
    this.hint = options.hint;
  }

  /** The message followed by the hint, as shown to users and models. */
  get userMessage(): string {
    return this.hint ? `${this.message} ${this.hint}` : this.message;
  }
}

export class ValidationError extends DeckhandError {
  constructor(message: string, hint?: string) {
    super('invalid_argument', message, hint === undefined ? {} : { hint });
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends DeckhandError {
  constructor(code: ErrorCode, message: string, hint?: string) {
    super(code, message, hint === undefined ? {} : { hint });
    this.name = 'NotFoundError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof DeckhandError) return err.userMessage;
  if (err instanceof Error) return err.message;
  return String(err);
}
