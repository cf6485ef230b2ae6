import type { AuditLog } from '../audit/index.js';
import { ValidationError } from '../errors.js';
import type { Job } from '../jobs/types.js';
import type { ApprovalView, Asker, Caller, SafetyService } from '../safety/index.js';
import type { TemplateDefinition, TemplateTarget } from './definition.js';
import type { ScheduleGate } from './scheduler.js';
import type { SaveResult, TemplateService } from './service.js';
import { definitionOf } from './views.js';

/** The registered servers a target names (RemoteBashService.targetNames). */
export type TargetNames = (target: TemplateTarget) => Promise<string[]>;

/** What policy judges of a template's run: its command on every server its target names now. */
async function commandTargets(def: TemplateDefinition, targetNames: TargetNames) {
  const names = await targetNames(def.target);
  return names.map((server) => ({ server, action: { kind: 'command' as const, command: def.command } }));
}

/**
 * Policy on a schedule's runs: the command classified on every target like a remote-bash call, with nobody to ask.
 * What policy would ask a person about is refused (fail closed) and the slot recorded as missed; a person's grant
 * (`deckhand grants`) or an `allow` pattern lets such a schedule run.
 */
export function scheduleGate(safety: Pick<SafetyService, 'admit'>, targetNames: TargetNames): ScheduleGate {
  return async (t, def, start) => {
    const admission = await safety.admit({
      tool: 'schedule',
      targets: await commandTargets(def, targetNames),
      args: { template: t.name, version: t.version },
      key: { template: t.id, version: t.version },
      command: def.command,
      startsJob: true,
      caller: { via: 'schedule' },
    });
    if (!admission.ok) return { ok: false, reason: admission.refusal.message };
    await admission.run(() => start(admission.jobId));
    return { ok: true };
  };
}

/** How a person's "run now" ended: a new job, or a refusal that says why (and the approval, when one may be given). */
export type GatedRun =
  | { readonly kind: 'started'; readonly job: Job }
  | {
      readonly kind: 'refused';
      readonly code: string;
      readonly message: string;
      readonly hint: string;
      readonly approval?: ApprovalView | undefined;
    };

/**
 * A template run now by a person (the CLI, the dashboard), through the safety gate like a remote-bash call on the
 * template's targets: policy, approval and the audit log apply as to an assistant's call, and the audit entry names
 * the person and the job. `asker` is given when the person confirmed what policy asks about.
 */
export async function runTemplateAsPerson(
  o: {
    readonly templates: Pick<TemplateService, 'get' | 'run'>;
    readonly safety: Pick<SafetyService, 'admit'>;
    readonly targetNames: TargetNames;
  },
  name: string,
  input: {
    readonly params?: Readonly<Record<string, string>> | undefined;
    readonly caller: Caller;
    readonly asker?: Asker | undefined;
  },
): Promise<GatedRun> {
  const t = await o.templates.get(name);
  const def = definitionOf(t);
  const params = input.params ?? {};
  const admission = await o.safety.admit({
    tool: 'run-template',
    targets: await commandTargets(def, o.targetNames),
    args: { template: t.name, version: t.version, params },
    key: { template: t.id, version: t.version, params },
    command: def.command,
    startsJob: true,
    caller: input.caller,
    asker: input.asker,
  });
  if (!admission.ok) {
    const r = admission.refusal;
    return { kind: 'refused', code: r.code, message: r.message, hint: r.hint, approval: r.approval };
  }
  const job = await admission.run(() => o.templates.run(name, { params, id: admission.jobId }));
  return { kind: 'started', job };
}

/** The person confirmed what policy asks about: they are the person it asks. */
export const CONFIRMED_BY_PERSON: Asker = { ask: async () => ({ action: 'accept', content: { approve: true } }) };

/**
 * A person pauses or resumes a template's schedule (the CLI, the dashboard): a partial save, recorded in the audit
 * log under the person's name. Refused for a template without a schedule.
 */
export async function suspendAsPerson(
  o: { readonly templates: Pick<TemplateService, 'get' | 'suspend'>; readonly audit: Pick<AuditLog, 'append'> },
  name: string,
  suspend: boolean,
  who: { readonly person: string; readonly token?: string | undefined },
): Promise<SaveResult> {
  const t = await o.templates.get(name);
  if (!definitionOf(t).schedule)
    throw new ValidationError(
      `Template "${name}" has no schedule to ${suspend ? 'pause' : 'resume'}.`,
      'Give it one with save-template {"name": …, "schedule": {"cron": …}}.',
    );
  const r = await o.templates.suspend(name, suspend);
  await o.audit.append({
    event: 'tool-call',
    tool: suspend ? 'pause-schedule' : 'resume-schedule',
    who: { person: who.person, ...(who.token ? { token: who.token } : {}) },
    args: { template: name, version: r.template.version },
    outcome: suspend ? 'paused' : 'resumed',
  });
  return r;
}
