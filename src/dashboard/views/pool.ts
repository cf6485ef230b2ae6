import type { PoolStatus } from '../../jobs/index.js';
import { duration, shortId, when } from './format.js';
import { html, type Html } from './html.js';
import { layout, type Chrome } from './layout.js';

/**
 * /pool: who runs what. The instances sharing the job system with their slots and jobs, each server's running count
 * against the limit, the queue by priority, and the jobs of instances that stopped heartbeating.
 */
export function poolPage(chrome: Chrome, p: PoolStatus): Html {
  const now = Date.parse(p.at);
  const store = p.store.kind === 'postgres' ? `PostgreSQL ${p.store.location}` : `SQLite ${p.store.location}`;
  const q = p.queue;
  return layout(
    chrome,
    'Pool',
    '/pool',
    html`<h1>Pool</h1>
      <p class="muted">
        Job system: ${store}. An instance silent for ${p.owner_timeout_s} s loses its running jobs to another, which
        reattaches to them. As of ${when(p.at)}.
      </p>
      <section>
        <h2>Instances</h2>
        ${
          p.instances.length
            ? html`<table id="pool-instances">
                <thead>
                  <tr>
                    <th>Instance</th>
                    <th>Host</th>
                    <th>Version</th>
                    <th>Started</th>
                    <th>Heartbeat</th>
                    <th>State</th>
                    <th>Slots</th>
                    <th>Running</th>
                  </tr>
                </thead>
                <tbody>
                  ${p.instances.map(
                    (i) =>
                      html`<tr data-instance="${i.id}">
                        <td>${i.id}${i.self ? html` <span class="muted">(this one)</span>` : ''}</td>
                        <td>${i.host} (pid ${i.pid})</td>
                        <td>${i.version}</td>
                        <td>${when(i.started_at)}</td>
                        <td>${duration(now - Date.parse(i.heartbeat_at))} ago</td>
                        <td>${i.alive ? 'alive' : html`<strong class="warn">dead</strong>`}</td>
                        <td>${i.slots_max === 0 ? 'serves only' : `${i.slots_used} / ${i.slots_max}`}</td>
                        <td>
                          ${i.running.map((id) => html`<a href="/jobs/${id}">${shortId(id)}</a> `)}${
                            i.slots_used > i.running.length ? `…+${i.slots_used - i.running.length}` : ''
                          }
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
            : html`<p class="warn">No deckhand executes jobs now: queued jobs wait until one starts.</p>`
        }
      </section>
      <section>
        <h2>Servers</h2>
        ${
          p.servers.length
            ? html`<table id="pool-servers">
                <thead>
                  <tr>
                    <th>Server</th>
                    <th>Running / limit</th>
                    <th>Queued</th>
                  </tr>
                </thead>
                <tbody>
                  ${p.servers.map(
                    (s) =>
                      html`<tr>
                        <td><a href="/jobs?server=${encodeURIComponent(s.server)}">${s.server}</a></td>
                        <td>${s.running} / ${s.limit}</td>
                        <td>${s.queued}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
            : html`<p class="muted">No job runs or waits on any server.</p>`
        }
      </section>
      <section>
        <h2>Queue</h2>
        <p id="pool-queue">
          ${
            q.depth
              ? html`${q.depth} queued: ${q.by_priority.high} high, ${q.by_priority.normal} normal, ${q.by_priority.low}
                low${q.delayed ? `; ${q.delayed} not due yet` : ''}. Oldest queued ${duration(q.oldest_age_s! * 1000)}
                ago.`
              : 'Empty.'
          }
        </p>
      </section>
      ${
        p.orphaned.length
          ? html`<section>
              <h2>Waiting to be taken over</h2>
              <ul>
                ${p.orphaned.map(
                  (o) =>
                    html`<li>
                      <a href="/jobs/${o.job_id}">${shortId(o.job_id)}</a> on ${o.server ?? '—'}: owner
                      ${o.owner ? `${o.owner.instance} (${o.owner.host}, pid ${o.owner.pid})` : 'unknown'} stopped
                      heartbeating; taken over by ${when(o.take_over_by)}
                    </li>`,
                )}
              </ul>
            </section>`
          : ''
      }`,
  );
}
