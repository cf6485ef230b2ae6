import type { RemoteShell } from '../ssh/remote-shell.js';

export const COMPONENTS = ['docker', 'swarm', 'traefik'] as const;
export type Component = (typeof COMPONENTS)[number];

/** Where setup-server keeps things on the server; deploy-app reads the same places. */
export { DECKHAND_DIR, SETUP_RECORD_PATH, STACKS_DIR } from '../apps/index.js';

export interface SetupParams {
  readonly components: readonly Component[];
  readonly email?: string | undefined;
  readonly dry_run: boolean;
}

export interface Facts {
  user: string;
  uid: number;
  /** True when commands go through `sudo -n`. */
  sudo: boolean;
  os_id: string;
  os_version: string;
  os_name: string;
  arch: string;
  /** The server's own address of the SSH connection: the Swarm advertise address. */
  ssh_ip: string;
  apt: boolean;
  systemd: boolean;
  docker_version?: string;
}

/** What setup-server wrote on the server, so a second run (and deploy-app) can tell what is there. */
export interface SetupRecord {
  version: 1;
  components: Component[];
  email?: string;
  network?: string;
  traefik?: { image: string; compose_sha256: string; stack: string };
  docker_version?: string;
  updated_at?: string;
}

export interface StepContext {
  readonly shell: RemoteShell;
  readonly params: SetupParams;
  readonly components: ReadonlySet<Component>;
  facts: Facts;
  /** The record found on the server at the start (read by the facts step), if any. */
  previous: SetupRecord | undefined;
  /** Filled by the steps as they go; written by the record step. */
  readonly record: SetupRecord;
  readonly traefikImage: string | undefined;
  readonly signal: AbortSignal;
  note(text: string): void;
  progress(message: string): void;
}

export interface CheckResult {
  ok: boolean;
  /** What is there, or what is missing ("Docker 28.2.2", "swarm inactive"). */
  detail: string;
}

/**
 * One idempotent step: `check` only reads; `apply` makes it so; then `check` runs again to verify. A step
 * without `apply` is a precondition: failing its check fails the step.
 */
export interface SetupStep {
  readonly name: string;
  /** The component that asks for this step; steps without one always run. */
  readonly component?: Component;
  check(c: StepContext): Promise<CheckResult>;
  apply?(c: StepContext, found: CheckResult): Promise<{ detail: string; changed?: boolean }>;
}
