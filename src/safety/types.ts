import type { ApprovalItem, PolicyAction, ServerPolicy } from '../policy/index.js';

/** Who makes a call: how it arrived, the HTTP token by name (with its policy), the MCP client from initialize. */
export interface Caller {
  /**
   * 'dashboard': a person acting from the web dashboard (run again, retry), named by `person`. 'schedule': a
   * template's schedule firing, with nobody there to ask.
   */
  readonly via: 'stdio' | 'http' | 'in-process' | 'dashboard' | 'schedule';
  /** The person making the call themselves (the dashboard's logged-in user), as the audit log names them. */
  readonly person?: string | undefined;
  readonly token?: { readonly name: string; readonly policy?: ServerPolicy | undefined } | undefined;
  readonly client?: { readonly name: string; readonly version: string } | undefined;
}

/** One server a call acts on, and what it does there. `server: null` for calls on no server (create-server). */
export interface Target {
  readonly server: string | null;
  readonly action: PolicyAction;
}

/** A question for the person behind the client (MCP elicitation, form mode), and what they answered. */
export interface ApprovalQuestion {
  readonly message: string;
  /** A JSON schema of flat primitive fields, as elicitation's form mode takes it. */
  readonly schema: Readonly<Record<string, unknown>>;
}

export interface ApprovalAnswer {
  readonly action: 'accept' | 'decline' | 'cancel';
  readonly content?: Readonly<Record<string, unknown>> | undefined;
}

/** Asks the person behind this call's client; absent when the client cannot (no elicitation capability). */
export interface Asker {
  ask(
    question: ApprovalQuestion,
    opts: { readonly timeoutMs: number; readonly signal?: AbortSignal },
  ): Promise<ApprovalAnswer>;
}

export interface AdmitRequest {
  /** The tool (or other entry point) making the call, as the audit log names it. */
  readonly tool: string;
  readonly targets: readonly Target[];
  /** The call's arguments, recorded masked. */
  readonly args?: unknown;
  /** Secret values in the arguments (env values) to mask wherever they appear. */
  readonly secrets?: readonly string[];
  /** What makes two calls "the same call" for an approval (default: the arguments). */
  readonly key?: unknown;
  /** The command, recorded on its own for remote-bash. */
  readonly command?: string | undefined;
  /** The call starts a job: its id is made here, so the entry names the job before it exists. */
  readonly startsJob?: boolean | undefined;
  readonly caller: Caller;
  readonly asker?: Asker | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Why a call did not run, for the assistant and the person behind it. */
export interface Refusal {
  readonly code: 'policy_denied' | 'approval_pending' | 'approval_declined' | 'approval_denied';
  readonly message: string;
  readonly hint: string;
  readonly approval?: ApprovalView | undefined;
}

export interface Admitted {
  readonly ok: true;
  /** A person approved this very call (now, or earlier through `deckhand approve`): tools skip their own "are you sure". */
  readonly personApproved: boolean;
  /** The id the job must be created with (when the call starts one). */
  readonly jobId: string | undefined;
  /** Why it may run, in words (the policy's reasons, the approval or grant that let it through). */
  readonly reasons: readonly string[];
  /**
   * Runs the action and records its outcome: at once for a call that starts no job, and only on failure for one
   * that does (the job's end is recorded when it comes).
   */
  run<T>(act: () => Promise<T>): Promise<T>;
  /** Records how a job-starting call ended without starting its job (it joined one under way). */
  finish(outcome: string): Promise<void>;
}

export type Admission = Admitted | { readonly ok: false; readonly refusal: Refusal };

export type ApprovalState = 'pending' | 'approved' | 'denied' | 'used' | 'expired';

/** An approval request as people and assistants see it (CLI, dashboard, the approvals resource). */
export interface ApprovalView {
  readonly id: string;
  readonly status: ApprovalState;
  readonly tool: string;
  readonly servers: readonly string[];
  /** One line: what would run, where. */
  readonly what: string;
  readonly items: readonly (ApprovalItem & { readonly server: string | null })[];
  readonly reasons: readonly string[];
  readonly requested_by: string;
  readonly requested_at: string;
  /** Pending: decide before this. Approved: make the call again before this. */
  readonly expires_at: string;
  readonly decided_by: string | null;
  readonly decided_at: string | null;
  /** How a person approves it. */
  readonly approve_with: string;
}
