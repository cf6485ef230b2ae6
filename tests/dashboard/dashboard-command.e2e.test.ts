// `deckhand dashboard` beside an MCP client's stdio deckhand on the same home: the dashboard process executes
// nothing, yet follows a job the other process runs (live, over Server-Sent Events) and cancels it; without
// DECKHAND_HTTP_TOKEN it asks for the token kept in DECKHAND_HOME/dashboard-token.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrfOf, loginCookie, rawRequest, startServed, type Served } from '../helpers/dashboard.js';
import { tempHome } from '../helpers/home.js';
import { Deckhand } from '../helpers/jobs.js';
import { remoteProcessCount } from '../helpers/openssh.js';
import { waitFor } from '../helpers/wait.js';
import { CLI } from '../helpers/mcp.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';

interface SseEvent {
  event: string;
  data: unknown;
  at: number;
}

/** Reads a Server-Sent Events stream until `stop` says so (or it ends). */
function readEvents(
  port: number,
  pathname: string,
  headers: Record<string, string>,
  stop: (e: SseEvent[]) => boolean,
): Promise<SseEvent[]> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    const req = http.get(
      { host: '127.0.0.1', port, path: pathname, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`events answered ${res.statusCode}`));
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data) events.push({ event, data: JSON.parse(data), at: Date.now() });
          }
          if (stop(events)) {
            req.destroy();
            resolve(events);
          }
        });
        res.on('end', () => resolve(events));
      },
    );
    req.on('error', (err) => (req.destroyed ? resolve(events) : reject(err)));
  });
}

describe('deckhand dashboard (for MCP clients on stdio)', () => {
  let sshd: SshdHandle;
  let home: { dir: string; cleanup(): void };
  let stdio: Deckhand;
  let dash: Served;

  beforeAll(async () => {
    sshd = await startSshd();
    home = tempHome();
    stdio = await Deckhand.start({ DECKHAND_HOME: home.dir });
    await stdio.ok('add-server', {
      name: 'box',
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      private_key_path: sshd.clientKey,
    });
    dash = await startServed(['dashboard', '--port', '0'], { DECKHAND_HOME: home.dir });
  });

  afterAll(async () => {
    await dash?.stop();
    await stdio?.stop();
    await sshd?.stop();
    home?.cleanup();
  });

  it('asks for the token kept in DECKHAND_HOME (mode 0600) when DECKHAND_HTTP_TOKEN is not set', async () => {
    const file = path.join(home.dir, 'dashboard-token');
    expect(dash.stderr()).toContain(`log in with the token in ${file}`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const token = fs.readFileSync(file, 'utf8').trim();
    expect(dash.stderr()).not.toContain(token);
    const wrong = await rawRequest(dash.port, {
      method: 'POST',
      path: '/login',
      headers: {
        host: `127.0.0.1:${dash.port}`,
        origin: dash.origin,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'token=guess-guess-guess-guess',
    });
    expect(wrong.status).toBe(401);
    const login = await rawRequest(dash.port, { path: '/login', headers: { host: `127.0.0.1:${dash.port}` } });
    expect(login.body).toContain(file);
    await loginCookie(dash, token);
    // Only loopback: the dashboard command has no --host.
    const bad = spawnSync(process.execPath, [CLI, 'dashboard', '--host', '0.0.0.0'], {
      env: { PATH: process.env.PATH ?? '', DECKHAND_HOME: home.dir },
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    const off = spawnSync(process.execPath, [CLI, 'dashboard', '--port', '0'], {
      env: { PATH: process.env.PATH ?? '', DECKHAND_HOME: home.dir, DECKHAND_DASHBOARD: 'off' },
      encoding: 'utf8',
    });
    expect(off.status).toBe(1);
    expect(off.stderr).toContain('DECKHAND_DASHBOARD=off');
  });

  it('follows a job the stdio process runs, live, and cancels it there', async () => {
    const token = fs.readFileSync(path.join(home.dir, 'dashboard-token'), 'utf8').trim();
    const cookie = await loginCookie(dash, token);
    const marker = `sleep 0.${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}4`;
    const id = await stdio.background(`for i in $(seq 1 60); do echo beat-$i; ${marker}; done`);
    const page = await rawRequest(dash.port, {
      path: `/jobs/${id}`,
      headers: { host: `127.0.0.1:${dash.port}`, cookie },
    });
    expect(page.status).toBe(200);
    const eventsUrl = /data-events="([^"]+)"/.exec(page.body)?.[1]?.replace(/&amp;/g, '&');
    expect(eventsUrl).toMatch(new RegExp(`^/jobs/${id}/events\\?cursor=\\d+$`));
    const lines = (es: SseEvent[]) =>
      es
        .filter((e) => e.event === 'lines')
        .flatMap((e) => (e.data as { lines: { text: string }[] }).lines.map((l) => l.text));
    const live = await readEvents(dash.port, eventsUrl as string, { cookie }, (es) => lines(es).length >= 3);
    expect(
      lines(live)
        .slice(0, 3)
        .every((t) => /^beat-\d+$/.test(t)),
    ).toBe(true);
    expect((await stdio.status({ job_id: id, tail_logs: 0 })).job.status).toBe('running');
    // A reconnecting stream resumes after the last line it had (Last-Event-ID), not from the start.
    const lastId = Number(/cursor=(\d+)/.exec(eventsUrl as string)?.[1]) + lines(live).length;

    // Cancel through the dashboard; the stdio deckhand, which owns the job, stops it.
    const r = await rawRequest(dash.port, {
      method: 'POST',
      path: `/jobs/${id}/cancel`,
      headers: {
        host: `127.0.0.1:${dash.port}`,
        origin: dash.origin,
        cookie,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `csrf=${encodeURIComponent(csrfOf(page.body))}`,
    });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe(`/jobs/${id}?done=cancel`);
    const ended = await readEvents(
      dash.port,
      `/jobs/${id}/events?cursor=0`,
      { cookie, 'last-event-id': String(lastId) },
      (es) => es.some((e) => e.event === 'end'),
    );
    expect(lines(ended).some((t) => lines(live).includes(t))).toBe(false);
    expect(ended.at(-1)).toMatchObject({ event: 'end', data: { status: 'cancelled' } });
    expect(ended.some((e) => e.event === 'job' && (e.data as { status: string }).status === 'cancelled')).toBe(true);
    expect((await stdio.waitTerminal(id)).status).toBe('cancelled');
    await waitFor(() => remoteProcessCount(sshd, marker) === 0, 'the remote loop to be gone', 10_000);
  });

  it("pages, filters and greps a finished job's log on its page", async () => {
    const token = fs.readFileSync(path.join(home.dir, 'dashboard-token'), 'utf8').trim();
    const cookie = await loginCookie(dash, token);
    const id = await stdio.background('for i in $(seq 1 300); do echo line-$i; echo err-$i >&2; done');
    expect((await stdio.waitTerminal(id)).status).toBe('completed');
    const get = async (query: string) =>
      (
        await rawRequest(dash.port, {
          path: `/jobs/${id}${query}`,
          headers: { host: `127.0.0.1:${dash.port}`, cookie },
        })
      ).body;
    const texts = (body: string, stream: string) =>
      [...body.matchAll(new RegExp(`class="ln ln-${stream}" data-seq="\\d+">([^<]*)</div>`, 'g'))].map((m) => m[1]);
    const tail = await get('');
    expect(tail).not.toContain('data-events=');
    // The last 200 lines (a fast command's streams are logged one after the other, so these are its stderr).
    expect(texts(tail, 'stderr').at(-1)).toBe('err-300');
    expect(texts(tail, 'stdout')).not.toContain('line-1');
    const outOnly = await get('?stream=stdout');
    expect(texts(outOnly, 'stderr')).toEqual([]);
    expect(texts(outOnly, 'stdout').at(-1)).toBe('line-300');
    const start = await get('?from=0');
    expect(texts(start, 'stdout')[0]).toBe('line-1');
    const next = /href="\?from=(\d+)#log-title" rel="next"/.exec(start)?.[1];
    expect(Number(next)).toBeGreaterThan(0);
    expect(texts(await get(`?from=${next}`), 'stdout')[0]).not.toBe('line-1');
    const errOnly = await get('?stream=stderr');
    expect(texts(errOnly, 'stdout')).toEqual([]);
    expect(texts(errOnly, 'stderr').at(-1)).toBe('err-300');
    const grep = await get(`?grep=${encodeURIComponent('^line-7$')}`);
    expect(texts(grep, 'stdout')).toEqual(['line-7']);
    expect(texts(grep, 'stderr')).toEqual([]);
    const bad = await get('?grep=(');
    expect(bad).toContain('is not a regular expression');
    expect(texts(bad, 'stderr').at(-1)).toBe('err-300');
  });
});
