// Safe hands: policy decisions on every call that changes something, a person's approval where policy asks
// (elicitation, or `deckhand approve`), time-boxed grants, and the audit log of it all with each job's outcome.
import { AuditLog, recordJobOutcomes, recordMissedOutcomes } from '../audit/index.js';
import type { Config } from '../config.js';
import type { JobKernel } from '../jobs/kernel.js';
import { loadPolicyEngine, type PolicyEngine } from '../policy/index.js';
import type { Inventory } from '../servers/index.js';
import { SafetyHousekeeper } from './housekeeping.js';
import { SafetyService } from './service.js';

export { describeCaller, isApprovalId } from './approvals.js';
export { SafetyService } from './service.js';
export { DEFAULT_TOKEN_NAME, type HttpToken } from '../policy/index.js';
export type {
  AdmitRequest,
  Admission,
  Admitted,
  ApprovalAnswer,
  ApprovalQuestion,
  ApprovalView,
  Asker,
  Caller,
  Refusal,
  Target,
} from './types.js';

export interface SafetyFeature {
  readonly service: SafetyService;
  readonly audit: AuditLog;
  /** Starts retention (a serving instance; CLI commands never call it). */
  start(): void;
  close(): Promise<void>;
}

export function createSafetyFeature(o: {
  readonly config: Config;
  readonly kernel: JobKernel;
  readonly inventory: Inventory;
  readonly onError: (err: unknown, context: string) => void;
}): SafetyFeature {
  const { stores, engine } = o.kernel;
  const audit = new AuditLog({ sink: stores.audit, instance: engine.instance.id });
  // The bash grammar loads on the first call that needs it (about 100 ms): CLI commands that only read never pay.
  let loading: Promise<{ engine: PolicyEngine; close(): void }> | undefined;
  const policy = () => {
    loading ??= loadPolicyEngine().catch((err: unknown) => {
      loading = undefined;
      throw err;
    });
    return loading.then((l) => l.engine);
  };
  const service = new SafetyService({
    engine: policy,
    store: stores.safety,
    inventory: o.inventory,
    audit,
    approvalTtlMs: o.config.safety.approvalTtlS * 1000,
    onError: o.onError,
  });
  const stopOutcomes = recordJobOutcomes({ events: engine.events, audit, onError: o.onError });
  const housekeeper = new SafetyHousekeeper({
    audit,
    store: stores.safety,
    auditRetainDays: o.config.safety.auditRetainDays,
    onError: o.onError,
    catchUp: () =>
      recordMissedOutcomes({
        audit,
        getJob: (id) => stores.jobs.get(id),
        since: new Date(Date.now() - 7 * 86_400_000),
      }),
  });
  return {
    service,
    audit,
    start: () => housekeeper.start(),
    async close() {
      await housekeeper.close();
      await stopOutcomes();
      if (loading) (await loading.catch(() => undefined))?.close();
    },
  };
}
