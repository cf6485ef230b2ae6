import type { AuditLog } from '../audit/index.js';
import type { Config } from '../config.js';
import type { Job, JobService } from '../jobs/index.js';
import { DeckhandError } from '../errors.js';
import type { RemoteBashService } from '../remote-bash/index.js';
import type { SafetyService } from '../safety/index.js';
import type { ServerService } from '../servers/index.js';
import type { TemplateService } from '../templates/index.js';
import { auditSource } from './audit-source.js';
import { batchSource } from './batch-source.js';
import { rerunActions } from './rerun.js';
import type { ApprovalSource, DashboardActor, DashboardSources, PoolSource, Reachability } from './sources.js';
import { countByStatus } from './stats.js';
import { templateSource } from './template-source.js';

/** The sources this version can fill from its services. */
export function defaultSources(o: {
  readonly jobs: JobService;
  readonly servers: ServerService;
  readonly config: Pick<Config, 'jobs'>;
  /** With these, batches, approvals, the audit page, run again and retry are offered. */
  readonly remoteBash?: RemoteBashService | undefined;
  readonly safety?: SafetyService | undefined;
  readonly audit?: AuditLog | undefined;
  readonly reachability?: ((server: string) => Promise<Reachability>) | undefined;
  /** With this, the templates and schedules pages (run now and pause/resume with safety and audit). */
  readonly templates?: TemplateService | undefined;
}): DashboardSources {
  const { remoteBash, safety } = o;
  return {
    jobs: o.jobs,
    servers: o.servers,
    stats: { countByStatus: () => countByStatus(o.jobs) },
    actions: {
      cancel: (id, by) => (safety && by ? auditedCancel(o.jobs, safety, id, by) : o.jobs.requestCancel(id)),
      ...(remoteBash && safety ? rerunActions({ jobs: o.jobs, remoteBash, safety }) : {}),
    },
    limits: { maxJobs: o.config.jobs.maxJobs, maxPerServer: o.config.jobs.maxPerServer },
    batches: remoteBash ? batchSource({ jobs: o.jobs, remoteBash }) : undefined,
    approvals: safety ? approvalSource(safety) : undefined,
    audit: o.audit ? auditSource(o.audit) : undefined,
    reachability: o.reachability,
    pool: poolSource(o.jobs),
    templates: o.templates ? templateSource({ templates: o.templates, remoteBash, safety, audit: o.audit }) : undefined,
  };
}

function poolSource(jobs: JobService): PoolSource {
  return {
    status: () => jobs.pool(),
    instances: async () =>
      (await jobs.pool()).instances.map((i) => ({
        id: i.id,
        host: i.host,
        pid: i.pid,
        version: i.version,
        alive: i.alive,
        slots_used: i.slots_used,
        slots_total: i.slots_max,
        heartbeat_at: i.heartbeat_at,
      })),
  };
}

function approvalSource(safety: SafetyService): ApprovalSource {
  return {
    pending: () => safety.pending(),
    recent: async () => (await safety.approvals.list({ all: true, limit: 20 })).filter((a) => a.status !== 'pending'),
    approve: async (id, a) => (await safety.approve(id, { by: a.by, minutes: a.minutes })).approval,
    deny: (id, by) => safety.deny(id, by),
  };
}

/**
 * A person's cancel from the dashboard, through the safety gate as cancel-job goes (stopping work is always allowed):
 * the audit log names the person and the job.
 */
async function auditedCancel(jobs: JobService, safety: SafetyService, id: string, by: DashboardActor): Promise<Job> {
  const admission = await safety.admit({
    tool: 'cancel-job',
    targets: [
      {
        server: null,
        action: { kind: 'tool', tool: 'cancel-job', class: 'read-only', why: 'stops a job', words: [id] },
      },
    ],
    args: { job_id: id, from: 'dashboard' },
    caller: { via: 'dashboard', person: by.person, token: { name: by.token } },
  });
  if (!admission.ok)
    throw new DeckhandError(admission.refusal.code, admission.refusal.message, { hint: admission.refusal.hint });
  return admission.run(() => jobs.requestCancel(id));
}
