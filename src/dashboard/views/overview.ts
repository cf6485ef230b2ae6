import { JOB_STATUSES, type Job, type JobStatus } from '../../jobs/index.js';
import type { ApprovalView, InstanceView, TemplateSummary } from '../sources.js';
import { duration, jobWhat, shortId, statusBadge, when } from './format.js';
import { html, type Html } from './html.js';
import { layout, type Chrome } from './layout.js';
import { approvalsList } from './approvals.js';

export interface OverviewModel {
  readonly counts: Record<JobStatus, number>;
  readonly capped: Partial<Record<JobStatus, boolean>>;
  /** Instances of the pool; undefined until the pool view exists (this home's limits are shown instead). */
  readonly instances: readonly InstanceView[] | undefined;
  readonly limits: { readonly maxJobs: number; readonly maxPerServer: number };
  readonly executorAlive: boolean;
  readonly failures: readonly Job[];
  /** Scheduled templates, soonest first; undefined until templates exist. */
  readonly schedules: readonly TemplateSummary[] | undefined;
  /** Actions waiting for a person; undefined until policy and approvals exist. */
  readonly approvals: readonly ApprovalView[] | undefined;
}

export function overviewPage(chrome: Chrome, m: OverviewModel): Html {
  const count = (s: JobStatus) => `${m.counts[s]}${m.capped[s] ? '+' : ''}`;
  return layout(
    chrome,
    'Overview',
    '/',
    html`<h1>Overview</h1>
      <section>
        <h2>Jobs by state</h2>
        <ul class="counts">
          ${JOB_STATUSES.map(
            (s) =>
              html`<li>
                <a href="/jobs?state=${s}">${statusBadge(s)} <strong class="count">${count(s)}</strong></a>
              </li>`,
          )}
        </ul>
      </section>
      <section>
        <h2>Instances and slots</h2>
        ${m.instances?.length ? instancesTable(m.instances) : thisInstance(m)}
      </section>
      <section>
        <h2>Next schedules</h2>
        ${
          m.schedules
            ? schedulesList(m.schedules)
            : html`<p class="muted">Templates and schedules are not available in this version.</p>`
        }
        ${m.schedules ? failingTemplates(m.schedules) : ''}
      </section>
      ${
        m.approvals
          ? html`<section>
              <h2>Waiting for approval</h2>
              ${m.approvals.length ? approvalsList(m.approvals) : html`<p class="muted">Nothing waits.</p>`}
            </section>`
          : ''
      }
      <section>
        <h2>Last failures</h2>
        ${
          m.failures.length
            ? html`<table>
                <thead>
                  <tr>
                    <th>Job</th>
                    <th>Server</th>
                    <th>What</th>
                    <th>Error</th>
                    <th>Ended</th>
                  </tr>
                </thead>
                <tbody>
                  ${m.failures.map(
                    (j) =>
                      html`<tr>
                        <td><a href="/jobs/${j.id}">${shortId(j.id)}</a></td>
                        <td>${j.server ?? '—'}</td>
                        <td class="what">${jobWhat(j)}</td>
                        <td>${j.error?.message ?? `exit ${j.exit_code ?? '?'}`}</td>
                        <td>${when(j.finished_at)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
            : html`<p class="muted">No failed jobs.</p>`
        }
      </section>`,
  );
}

function thisInstance(m: OverviewModel): Html {
  return html`<p>
      ${m.counts.running} of ${m.limits.maxJobs} slots in use on this home (at most ${m.limits.maxPerServer} per
      server). Executor:
      ${
        m.executorAlive
          ? html`<strong>running</strong>`
          : html`<strong class="warn">none</strong> — queued jobs wait until a deckhand serves this home`
      }.
    </p>
    <p class="muted"><a href="/pool">The pool</a> shows every instance sharing the job system.</p>`;
}

function instancesTable(instances: readonly InstanceView[]): Html {
  return html`<table>
    <thead>
      <tr>
        <th>Instance</th>
        <th>Host</th>
        <th>Version</th>
        <th>Alive</th>
        <th>Slots</th>
        <th>Heartbeat</th>
      </tr>
    </thead>
    <tbody>
      ${instances.map(
        (i) =>
          html`<tr>
            <td>${i.id}</td>
            <td>${i.host} (pid ${i.pid})</td>
            <td>${i.version}</td>
            <td>${i.alive ? 'yes' : html`<strong class="warn">no</strong>`}</td>
            <td>${i.slots_used} / ${i.slots_total}</td>
            <td>${when(i.heartbeat_at)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** Templates whose last run failed or was lost: what a person should look at first. */
function failingTemplates(ts: readonly TemplateSummary[]): Html | string {
  const failing = ts.filter((t) => t.last_run && (t.last_run.status === 'failed' || t.last_run.status === 'lost'));
  if (!failing.length) return '';
  return html`<h3>Failing templates</h3>
    <ul id="failing-templates">
      ${failing.slice(0, 10).map(
        (t) =>
          html`<li>
            <a href="/templates/${encodeURIComponent(t.id)}">${t.name}</a>: last run
            <a href="/jobs/${t.last_run?.job_id ?? ''}">${statusBadge(t.last_run?.status ?? 'failed')}</a>
            ${when(t.last_run?.at)}${t.success_rate !== null ? html`, success ${Math.round(t.success_rate * 100)} %` : ''}
          </li>`,
      )}
    </ul>`;
}

function schedulesList(ts: readonly TemplateSummary[]): Html {
  const scheduled = ts.filter((t) => t.schedule && !t.schedule.paused && t.schedule.next_runs.length);
  scheduled.sort((a, b) => ((a.schedule?.next_runs[0] ?? '') < (b.schedule?.next_runs[0] ?? '') ? -1 : 1));
  if (!scheduled.length) return html`<p class="muted">Nothing scheduled.</p>`;
  return html`<ul>
    ${scheduled
      .slice(0, 10)
      .map(
        (t) =>
          html`<li>
            <a href="/templates/${encodeURIComponent(t.id)}">${t.name}</a>: ${when(t.schedule?.next_runs[0])}
            (${t.schedule?.in_words})${
              t.last_run && t.last_run.status !== 'completed' ? html` — last run ${statusBadge(t.last_run.status)}` : ''
            }${t.p50_ms !== null ? html` <span class="muted">p50 ${duration(t.p50_ms)}</span>` : ''}
          </li>`,
      )}
  </ul>`;
}
