import type { ChainHead } from './chain.js';
import type { AuditActor, AuditEntry, AuditRecord } from './entry.js';
import { maskCommand, maskRecord } from './mask.js';
import {
  readAll,
  retentionCutoff,
  type AuditPage,
  type AuditReadOptions,
  type AuditSink,
  type OutcomeSink,
} from './sink.js';
import { verifyChain, type VerifyResult } from './verify.js';

/** What a caller records: the time, the instance and the masking are the log's to add. */
export type AuditInput = Omit<AuditRecord, 'at' | 'who' | 'args'> & {
  /** Tool arguments as given: masked before they are stored. */
  readonly args?: unknown;
  readonly who?: Omit<AuditActor, 'instance'>;
  /** Secret values known to the caller (env values, a deploy's settings), hidden wherever they appear. */
  readonly secrets?: readonly string[];
};

export interface AuditLogOptions {
  readonly sink: AuditSink & OutcomeSink;
  /** This deckhand instance, named in every entry it appends. */
  readonly instance: string;
  readonly now?: () => Date;
}

/** A dashboard login (or a refused one), for the dashboard to call. */
export interface LoginEvent {
  /** Who logged in, as far as the dashboard knows: the token's name, the remote address. */
  readonly person: string;
  readonly token?: string | undefined;
  readonly ok: boolean;
  readonly detail?: string | undefined;
}

/**
 * The audit log as the rest of deckhand uses it: every entry masked and stamped with this instance and the time,
 * appended to the store's hash chain; reading, following, exporting and verifying it; retention.
 */
export class AuditLog {
  private readonly now: () => Date;

  constructor(private readonly o: AuditLogOptions) {
    this.now = o.now ?? (() => new Date());
  }

  get instance(): string {
    return this.o.instance;
  }

  /** Appends one entry. Rejects when the store cannot take it: callers that act only once it is recorded stop. */
  append(input: AuditInput): Promise<AuditEntry> {
    return this.o.sink.append(this.toRecord(input));
  }

  /** A job's end, once per job however many instances record it; undefined when it was recorded already. */
  appendOutcome(input: AuditInput & { readonly job_id: string }): Promise<AuditEntry | undefined> {
    return this.o.sink.appendOutcome({ ...this.toRecord(input), job_id: input.job_id });
  }

  /** Jobs whose call was recorded at or after `since` and whose end is not (see recordMissedOutcomes). */
  jobsWithoutOutcome(since: Date, limit: number): Promise<string[]> {
    return this.o.sink.jobsWithoutOutcome(since, limit);
  }

  /** For the dashboard: every login, and every refused one. */
  login(e: LoginEvent): Promise<AuditEntry> {
    return this.append({
      event: 'dashboard-login',
      who: { person: e.person, ...(e.token ? { token: e.token } : {}) },
      decision: e.ok ? 'allow' : 'deny',
      outcome: e.ok ? 'logged in' : `refused${e.detail ? `: ${e.detail}` : ''}`,
    });
  }

  read(options?: AuditReadOptions): Promise<AuditPage> {
    return this.o.sink.read(options);
  }

  /** Every kept entry in order (export, verify). */
  all(): AsyncGenerator<AuditEntry> {
    return readAll(this.o.sink);
  }

  head(): Promise<ChainHead> {
    return this.o.sink.head();
  }

  /**
   * Verifies the whole kept chain from its checkpoint, against an anchor kept elsewhere when one is given, and
   * always against the store's own head row: entries cut off the end without rewriting that row show too.
   */
  async verify(anchor?: ChainHead): Promise<VerifyResult> {
    const [start, head] = [await this.o.sink.checkpoint(), await this.o.sink.head()];
    const result = await verifyChain(readAll(this.o.sink), {
      start,
      ...(anchor ? { anchor } : head.seq > start.seq ? { anchor: head } : {}),
    });
    if (!result.ok || !anchor || head.seq <= result.head.seq) return result;
    return {
      ok: false,
      count: result.count,
      problem: {
        kind: 'removed',
        seq: result.head.seq + 1,
        position: result.count,
        message: `the chain ends at entry ${result.head.seq} but the store's head says ${head.seq}: entries were cut off its end`,
      },
    };
  }

  /** Removes entries older than the retention from the start of the chain (0 days: keeps everything). */
  async prune(days: number): Promise<number> {
    if (days <= 0) return 0;
    return (await this.o.sink.prune(retentionCutoff(this.now(), days))).removed;
  }

  private toRecord(input: AuditInput): AuditRecord {
    const { secrets, who, ...rest } = input;
    const options = secrets ? { secrets } : {};
    // Reasons and outcomes quote the command: they are masked like it.
    return maskRecord(
      {
        ...rest,
        reasons: rest.reasons?.map((r) => maskCommand(r, options)),
        outcome: rest.outcome === undefined ? undefined : maskCommand(rest.outcome, options),
        at: this.now().toISOString(),
        who: { instance: this.o.instance, ...stripUndefined(who ?? {}) },
      },
      options,
    );
  }
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
