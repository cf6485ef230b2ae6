/**
 * Provider-neutral error types. Callers branch on `code`, show `message` (which already ends with the
 * hint) to the user, and may keep `hint` apart for structured results.
 */

import type { ProviderCode } from '../errors.js';

export type ProviderErrorCode = ProviderCode;

export interface ProviderErrorOptions {
  code: ProviderErrorCode;
  /** HTTP status when the error came from a response. */
  status?: number;
  /** What the user should change or do next. */
  hint: string;
  /** The provider's own error code, when it differs from `code` or is unknown to deckhand. */
  apiCode?: string;
  details?: unknown;
  cause?: unknown;
}

export class ProviderError extends Error {
  override name = 'ProviderError';
  readonly code: ProviderErrorCode;
  readonly status: number | undefined;
  readonly hint: string;
  readonly apiCode: string | undefined;
  readonly details: unknown;

  constructor(problem: string, opts: ProviderErrorOptions) {
    super(`${problem}. ${opts.hint}`, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = opts.code;
    this.status = opts.status;
    this.hint = opts.hint;
    this.apiCode = opts.apiCode;
    this.details = opts.details;
  }
}

/**
 * A create request whose outcome is unknown: the connection broke or a gateway failed after the request
 * was sent, so the server may exist. Look it up by name before trying again (`createOrAdoptServer`).
 */
export class CreateOutcomeUnknownError extends ProviderError {
  override name = 'CreateOutcomeUnknownError';
  readonly serverName: string;

  constructor(serverName: string, cause: unknown) {
    super(`The provider did not confirm whether server "${serverName}" was created`, {
      code: 'create_outcome_unknown',
      hint: `Look the server up by name before creating it again; create-server does this and adopts it`,
      cause,
    });
    this.serverName = serverName;
  }
}

/** An action (create, delete...) that the provider finished with status error. */
export class ActionFailedError extends ProviderError {
  override name = 'ActionFailedError';
  readonly actionId: string;
  readonly command: string;

  constructor(action: { id: string; command: string; error?: { code: string; message: string } }) {
    const reason = action.error ? `${action.error.message} (${action.error.code})` : 'no reason given';
    super(`Provider action ${action.id} (${action.command}) failed: ${reason}`, {
      code: 'action_failed',
      apiCode: action.error?.code,
      hint: 'Check the resource in the provider console; run the operation again once the cause is fixed',
    });
    this.actionId = action.id;
    this.command = action.command;
  }
}

export function isProviderError(err: unknown, code?: ProviderErrorCode): err is ProviderError {
  return err instanceof ProviderError && (code === undefined || err.code === code);
}
