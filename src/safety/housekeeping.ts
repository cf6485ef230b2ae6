import type { AuditLog } from '../audit/index.js';
import type { SafetyStore } from '../jobs/store/contract.js';

const DAY = 86_400_000;
/** Decided and expired approvals and grants stay this long for people to look back at, then go. */
const KEEP_EXPIRED_MS = 7 * DAY;

/**
 * Retention of the audit log (DECKHAND_AUDIT_RETAIN_DAYS, apart from jobs; the chain keeps a checkpoint so what is
 * kept still verifies) and of expired approvals and grants. Each step is idempotent: instances may run it at once.
 */
export class SafetyHousekeeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly o: {
      readonly audit: AuditLog;
      readonly store: SafetyStore;
      readonly auditRetainDays: number;
      /** Records job ends that were missed (audit/outcomes.ts recordMissedOutcomes). */
      readonly catchUp?: () => Promise<unknown>;
      readonly onError: (err: unknown, context: string) => void;
      readonly everyMs?: number;
      readonly now?: () => number;
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => this.poke(), this.o.everyMs ?? 600_000);
    this.timer.unref();
    this.poke();
  }

  poke(): void {
    this.running ??= this.run().finally(() => (this.running = undefined));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async run(): Promise<void> {
    try {
      await this.o.catchUp?.();
    } catch (err) {
      this.o.onError(err, 'audit outcomes');
    }
    try {
      await this.o.audit.prune(this.o.auditRetainDays);
    } catch (err) {
      this.o.onError(err, 'audit retention');
    }
    try {
      await this.o.store.prune((this.o.now?.() ?? Date.now()) - KEEP_EXPIRED_MS);
    } catch (err) {
      this.o.onError(err, 'approval retention');
    }
  }
}
