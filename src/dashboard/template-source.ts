import type { AuditLog } from '../audit/index.js';
import type { Job } from '../jobs/index.js';
import type { RemoteBashService } from '../remote-bash/index.js';
import type { SafetyService } from '../safety/index.js';
import {
  CONFIRMED_BY_PERSON,
  runTemplateAsPerson,
  suspendAsPerson,
  type TemplateService,
  type TemplateView,
} from '../templates/index.js';
import type { TemplateDetail, TemplateRunCounts, TemplateSource, TemplateSummary } from './sources.js';

type Service = Pick<TemplateService, 'list' | 'detail' | 'get' | 'run' | 'suspend'>;
type Stats = Awaited<ReturnType<TemplateService['detail']>>['stats'];

const PAGE = 200;
/** The most templates a page lists (the store pages by name). */
const MAX_LISTED = 1000;

/**
 * Templates for the pages, from the templates service: summaries with their statistics, a template's detail (env
 * names only: values stay in the secret store), and, with safety, run now through the gate and pause/resume.
 */
export function templateSource(o: {
  readonly templates: Service;
  readonly remoteBash?: Pick<RemoteBashService, 'targetNames'> | undefined;
  readonly safety?: Pick<SafetyService, 'admit'> | undefined;
  readonly audit?: Pick<AuditLog, 'append'> | undefined;
}): TemplateSource {
  const { templates, remoteBash, safety, audit } = o;
  return {
    async list() {
      const out: TemplateSummary[] = [];
      let cursor: string | undefined;
      do {
        const page = await templates.list({ limit: PAGE, cursor });
        out.push(...page.templates.map((r) => summary(r.template, r.stats)));
        cursor = page.next_cursor ?? undefined;
      } while (cursor && out.length < MAX_LISTED);
      return out;
    },
    async get(name) {
      let d;
      try {
        d = await templates.detail(name, { runs: 50 });
      } catch (err) {
        if ((err as { code?: string }).code === 'unknown_template') return undefined;
        throw err;
      }
      const t = d.template;
      const target = t.target.server ?? t.target.servers?.join(', ') ?? `servers matching ${t.target.selector ?? '?'}`;
      const detail: TemplateDetail = {
        ...summary(t, d.stats),
        params: t.params.map((p) => ({
          name: p.name,
          description: p.description,
          required: p.required === true,
          default: p.default,
          pattern: p.pattern,
        })),
        definition: {
          command: t.command,
          target,
          env_keys: t.env_keys,
          // Fan-out settings of the target (max_parallel, serial, max_failures, fail_fast).
          options: Object.entries(t.target)
            .filter(([k, v]) => !['server', 'servers', 'selector'].includes(k) && v !== undefined)
            .map(([k, v]) => `${k} ${String(v)}`),
        },
        stats: counts(d.stats),
        version_stats: counts(d.version_stats),
        versions: d.versions.map((v) => ({ version: v.version, at: v.created_at, changed: v.changed })),
        history: d.recent_runs.map((r) => ({
          job_id: r.job_id,
          status: r.status,
          at: r.created_at,
          duration_ms: r.duration_ms,
          version: r.version,
          trigger: r.trigger === null ? undefined : r.slot ? `${r.trigger} ${r.slot}` : r.trigger,
        })),
        events: d.schedule_events.map((e) => ({
          slot: new Date(e.slot).toISOString(),
          kind: e.kind,
          reason: e.reason,
          count: e.count,
        })),
        last_slot: d.last_slot,
      };
      return detail;
    },
    templateOf: (job: Job) => job.template?.id,
    templateId: async (name) => {
      try {
        return (await templates.get(name)).id;
      } catch {
        return undefined;
      }
    },
    runNow:
      safety && remoteBash
        ? (name, params, by, confirmed) =>
            runTemplateAsPerson({ templates, safety, targetNames: (t) => remoteBash.targetNames(t) }, name, {
              params,
              caller: { via: 'dashboard', person: by.person, token: { name: by.token } },
              asker: confirmed ? CONFIRMED_BY_PERSON : undefined,
            })
        : undefined,
    setPaused: audit
      ? async (name, paused, by) => {
          await suspendAsPerson({ templates, audit }, name, paused, { person: by.person, token: by.token });
        }
      : undefined,
  };
}

function summary(t: TemplateView, s: Stats): TemplateSummary {
  const spec = t.schedule?.spec;
  return {
    id: t.name,
    name: t.name,
    description: t.description || undefined,
    status: t.status,
    version: t.version,
    schedule:
      t.schedule && spec
        ? {
            expression: spec.cron ?? (spec.every ? `every ${spec.every}` : `at ${spec.at ?? '?'}`),
            in_words: t.schedule.description,
            tz: t.schedule.tz,
            paused: t.schedule.suspended,
            next_runs: t.schedule.next_runs,
            policy:
              `concurrency ${spec.concurrency_policy}, catch-up ${spec.catch_up}` +
              (spec.jitter_s ? `, jitter ${spec.jitter_s} s` : '') +
              (spec.starting_deadline_s ? `, deadline ${spec.starting_deadline_s} s` : ''),
          }
        : undefined,
    last_run: s.last_run
      ? { job_id: s.last_run.job_id, status: s.last_run.status, at: new Date(s.last_run.created_at).toISOString() }
      : undefined,
    runs: s.runs,
    success_rate: s.success_rate,
    p50_ms: s.p50_ms,
    p95_ms: s.p95_ms,
  };
}

function counts(s: Stats): TemplateRunCounts {
  const { last_run: _run, last_failure: _failure, ...rest } = s;
  return rest;
}
