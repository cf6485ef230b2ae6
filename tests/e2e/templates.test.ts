import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../helpers/home.js';
import { startStdio, structured, textOf, type StdioSession } from '../helpers/mcp.js';
import { startSshd, type SshdHandle } from '../helpers/sshd.js';
import { waitFor } from '../helpers/wait.js';

interface Saved {
  status: string;
  name: string;
  version: number;
  template_status: string;
  changed: string[];
  diff: string[];
  schedule: { description: string; tz: string; suspended: boolean; next_runs: string[] } | null;
}
interface Stats {
  runs: number;
  completed: number;
  failed: number;
  cancelled: number;
  active: number;
  success_rate: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  last_run: { job_id: string; status: string } | null;
  last_failure: { job_id: string; status: string } | null;
}
interface Detail {
  template: {
    name: string;
    version: number;
    status: string;
    description: string;
    command: string;
    env_keys: string[];
    params: { name: string }[];
    schedule: { spec: { cron?: string; suspend: boolean }; suspended: boolean; next_runs: string[] } | null;
    stats: Stats;
    version_stats: Stats;
    versions: { version: number; changed: string[] }[];
    recent_runs: { job_id: string; status: string; version: number; trigger: string; params: Record<string, string> }[];
  };
}
interface RunResult {
  status: string;
  job_id: string;
  exit_code?: number | null;
  stdout?: string;
}
interface JobStatus {
  job: { id: string; status: string; template?: { id: string; version: number; trigger: string } };
}

const SECRET = 'tok-s3cr3t-9f2c41';
const DIGEST = crypto.createHash('sha256').update(SECRET).digest('hex').slice(0, 16);

/** Every file under `dir` but the secret store, whose content holds `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (p !== path.join(dir, 'secrets')) walk(p);
      } else if (e.isFile() && fs.readFileSync(p).includes(needle)) found.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return found;
}

describe('job templates through the MCP tools, over a real sshd through the stdio binary', () => {
  let sshd: SshdHandle;
  let home: { dir: string; cleanup(): void };
  let mcp: StdioSession;
  let gates: string;

  const call = (name: string, args: Record<string, unknown>) => mcp.call(name, args);
  const ok = async <T>(name: string, args: Record<string, unknown>): Promise<T> => {
    const r = await call(name, args);
    expect(r.isError, textOf(r)).toBeFalsy();
    return structured<T>(r);
  };
  const refused = async (name: string, args: Record<string, unknown>): Promise<string> => {
    const r = await call(name, args);
    expect(r.isError, textOf(r)).toBe(true);
    return textOf(r);
  };
  const detail = async (name: string) => (await ok<Detail>('list-templates', { name })).template;
  const jobStatus = async (id: string) => ok<JobStatus>('get-job-status', { job_id: id });
  /** A command that waits until the test creates its gate file: a run that is active for as long as the test wants. */
  const gated = (gate: string, then: string) =>
    `while [ ! -e ${path.join(gates, gate)} ]; do sleep 0.05; done; ${then}`;
  const open = (gate: string) => fs.writeFileSync(path.join(gates, gate), '');

  beforeAll(async () => {
    sshd = await startSshd();
    home = tempHome();
    gates = fs.mkdtempSync(path.join(home.dir, 'gates-'));
    mcp = await startStdio({ DECKHAND_HOME: home.dir });
    const added = await call('add-server', {
      name: 'box',
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      private_key_path: sshd.clientKey,
    });
    expect(added.isError, textOf(added)).toBeFalsy();
  });
  afterAll(async () => {
    await mcp?.close();
    await sshd?.stop();
    home?.cleanup();
  });

  it('saves a template with params and env; a run gets params as env vars and env values appear nowhere', async () => {
    const saved = await ok<Saved>('save-template', {
      name: 'greet',
      description: 'Says hello',
      server: 'box',
      // The secret reaches the command (its digest is printed, never the value) and nothing else.
      command: 'echo "hello $WHO at $VERSION"; printf %s "$API_TOKEN" | sha256sum | cut -c1-16',
      env: { API_TOKEN: SECRET },
      params: [
        { name: 'WHO', required: true, pattern: '[a-z]+', description: 'who to greet' },
        { name: 'VERSION', default: '1.0', pattern: '[0-9]+\\.[0-9]+' },
      ],
    });
    expect(saved).toMatchObject({ status: 'created', name: 'greet', version: 1, template_status: 'enabled' });
    expect(saved.schedule).toBeNull();

    const run = await call('run-template', { name: 'greet', params: { WHO: 'world' }, mode: 'sync' });
    expect(run.isError, textOf(run)).toBeFalsy();
    const r = structured<RunResult>(run);
    expect(r).toMatchObject({ status: 'completed', exit_code: 0, stdout: `hello world at 1.0\n${DIGEST}` });
    expect(textOf(run)).toMatch(/^Template "greet" v1: exit 0/);
    // Params given as "KEY=value" strings (the advertised form) work the same.
    const r2 = await ok<RunResult>('run-template', {
      name: 'greet',
      params: ['WHO=deckhand', 'VERSION=2.5'],
      mode: 'sync',
    });
    expect(r2.stdout).toBe(`hello deckhand at 2.5\n${DIGEST}`);

    const st = await jobStatus(r.job_id);
    expect(st.job.template).toMatchObject({ version: 1, trigger: 'manual' });

    const d = await detail('greet');
    expect(d.env_keys).toEqual(['API_TOKEN']);
    expect(d.params.map((p) => p.name)).toEqual(['WHO', 'VERSION']);
    expect(d.recent_runs.map((x) => x.job_id)).toEqual([r2.job_id, r.job_id]);
    // A run records the parameters it was given, defaults filled in.
    expect(d.recent_runs.map((x) => x.params)).toEqual([
      { WHO: 'deckhand', VERSION: '2.5' },
      { WHO: 'world', VERSION: '1.0' },
    ]);

    const resource = await mcp.client.readResource({ uri: 'deckhand://templates/greet' });
    const text = (resource.contents[0] as { text: string }).text;
    expect(JSON.parse(text)).toMatchObject({ name: 'greet', version: 1, stats: { runs: 2, completed: 2 } });
    const listed = await mcp.client.listResources();
    expect(listed.resources.map((x) => x.uri)).toContain('deckhand://templates/greet');

    // Nowhere but the secret store: not in any answer, nor the database, job logs or the audit log.
    for (const answer of [
      textOf(run),
      JSON.stringify(run.structuredContent),
      JSON.stringify(st),
      JSON.stringify(d),
      text,
      textOf(await call('list-templates', {})),
      textOf(await call('list-jobs', { template: 'greet' })),
    ])
      expect(answer).not.toContain(SECRET);
    expect(filesContaining(home.dir, SECRET)).toEqual([]);
    expect(filesContaining(path.join(home.dir, 'secrets'), SECRET).length).toBeGreaterThan(0);
  });

  it('new env values under the same names make a new version; a stale if_version is refused', async () => {
    const other = 'tok-other-77a1';
    const saved = await ok<Saved>('save-template', { name: 'greet', env: { API_TOKEN: other } });
    expect(saved).toMatchObject({ status: 'updated', version: 2, changed: ['env'] });
    expect(saved.diff).toEqual(['env: values replaced (kept secret)']);
    const r = await ok<RunResult>('run-template', { name: 'greet', params: { WHO: 'again' }, mode: 'sync' });
    const digest = crypto.createHash('sha256').update(other).digest('hex').slice(0, 16);
    expect(r.stdout).toBe(`hello again at 1.0\n${digest}`);
    expect(filesContaining(home.dir, other)).toEqual([]);

    const stale = await refused('save-template', { name: 'greet', description: 'x', if_version: 1 });
    expect(stale).toMatch(/^Error \(template_changed\): Template "greet" is at version 2, not 1\. Read it again/);
    expect((await detail('greet')).description).toBe('Says hello');
    // Saving the same again changes nothing and makes no version.
    expect(await ok<Saved>('save-template', { name: 'greet', description: 'Says hello' })).toMatchObject({
      status: 'unchanged',
      version: 2,
      changed: [],
    });
  });

  it('refuses bad params naming each (unknown, missing required, pattern mismatch) and starts nothing', async () => {
    const before = (await ok<{ jobs: unknown[] }>('list-jobs', { template: 'greet' })).jobs.length;
    const text = await refused('run-template', { name: 'greet', params: { VERSION: 'latest', BOGUS: '1' } });
    expect(text).toMatch(/^Error \(invalid_argument\): Template parameters refused/);
    expect(text).toContain('"BOGUS" is not a parameter');
    expect(text).toContain('"WHO" is required');
    expect(text).toContain('"VERSION" = "latest" does not match [0-9]+\\.[0-9]+');
    expect(text).toContain('The parameters are: WHO (required), VERSION.');
    expect((await ok<{ jobs: unknown[] }>('list-jobs', { template: 'greet' })).jobs.length).toBe(before);
    // And an unknown template, with where to look.
    expect(await refused('run-template', { name: 'nope' })).toMatch(
      /^Error \(unknown_template\): There is no template named "nope"\. list-templates shows/,
    );
  });

  it('one call starts several runs with different params: one job each, failures first, refused sets start nothing', async () => {
    interface Runs {
      template: string;
      version: number;
      runs: {
        params: Record<string, string>;
        job_id: string;
        status: string;
        exit_code: number | null;
        last_line?: string;
      }[];
    }
    const before = (await ok<{ jobs: unknown[] }>('list-jobs', { template: 'greet' })).jobs.length;
    // One set breaks the pattern: nothing starts, and the refusal names it.
    const bad = await refused('run-template', {
      name: 'greet',
      runs: [{ params: { WHO: 'ann' } }, { params: { WHO: 'Bob!' } }],
    });
    expect(bad).toMatch(/"WHO" = "Bob!" does not match/);
    expect((await ok<{ jobs: unknown[] }>('list-jobs', { template: 'greet' })).jobs.length).toBe(before);
    expect(
      await refused('run-template', { name: 'greet', params: { WHO: 'x' }, runs: [{ params: { WHO: 'y' } }] }),
    ).toMatch(/not both/);

    const r = await call('run-template', {
      name: 'greet',
      runs: [
        { params: { WHO: 'ann' } },
        { params: { WHO: 'bob', VERSION: '9.9' } },
        // The advertised "NAME=value" form works inside runs too.
        { params: ['WHO=cy'] },
      ],
      mode: 'sync',
    });
    expect(r.isError, textOf(r)).toBeFalsy();
    const runs = structured<Runs>(r);
    expect(runs).toMatchObject({ template: 'greet', version: 2 });
    expect(
      runs.runs.map((x) => [x.params, x.status, x.exit_code, x.last_line]),
      textOf(r),
    ).toEqual([
      // The last line is the digest of version 2's token.
      [{ WHO: 'ann', VERSION: '1.0' }, 'completed', 0, expect.stringMatching(/^[0-9a-f]{16}$/)],
      [{ WHO: 'bob', VERSION: '9.9' }, 'completed', 0, expect.stringMatching(/^[0-9a-f]{16}$/)],
      [{ WHO: 'cy', VERSION: '1.0' }, 'completed', 0, expect.stringMatching(/^[0-9a-f]{16}$/)],
    ]);
    expect(new Set(runs.runs.map((x) => x.job_id)).size).toBe(3);
    expect(textOf(r)).toMatch(
      /^Template "greet" v2: 3 runs, 3 finished\.\n- job_\S+ completed exit 0 \(\d+ ms\) WHO=ann VERSION=1\.0: /,
    );
    // Each is a run in the template's history with its own params, and its output is its own.
    const d = await detail('greet');
    expect(
      d.recent_runs
        .slice(0, 3)
        .map((x) => x.params.WHO)
        .sort(),
    ).toEqual(['ann', 'bob', 'cy']);
    const bob = runs.runs[1]?.job_id as string;
    const status = await ok<{ logs: { text: string }[] }>('get-job-status', { job_id: bob, tail_logs: 5 });
    expect(status.logs.map((l) => l.text)).toContain('hello bob at 9.9');
    for (const x of runs.runs) await jobStatus(x.job_id);
  });

  it('statistics match a hand-counted history: 2 completed, 1 failed → 2/3; list-jobs {template} lists those runs', async () => {
    await ok('save-template', {
      name: 'flaky',
      server: 'box',
      command: 'exit "$CODE"',
      params: [{ name: 'CODE', default: '0', pattern: '[0-9]+' }],
    });
    const ids: string[] = [];
    for (const code of ['0', '3', '0']) {
      const r = await call('run-template', { name: 'flaky', params: { CODE: code }, mode: 'sync' });
      ids.push(structured<RunResult>(r).job_id);
      expect(structured<RunResult>(r).status).toBe(code === '0' ? 'completed' : 'failed');
    }
    const d = await detail('flaky');
    expect(d.stats).toMatchObject({ runs: 3, completed: 2, failed: 1, cancelled: 0, active: 0 });
    expect(d.stats.success_rate).toBeCloseTo(2 / 3, 10);
    expect(d.stats.last_failure?.job_id).toBe(ids[1]);
    expect(d.stats.last_run?.job_id).toBe(ids[2]);
    expect(d.stats.p50_ms).toEqual(expect.any(Number));
    expect(d.version_stats).toMatchObject({ runs: 3, completed: 2, failed: 1 });

    const page = await ok<{ templates: { name: string; stats: Stats }[]; next_cursor: string | null }>(
      'list-templates',
      {},
    );
    expect(page.templates.find((t) => t.name === 'flaky')?.stats).toMatchObject({ runs: 3, completed: 2, failed: 1 });
    const listText = textOf(await call('list-templates', {}));
    expect(listText).toMatch(/^flaky v1 enabled on box; no schedule; 3 runs: 2 completed, 1 failed; success 66\.7%/m);

    const jobs = await ok<{ jobs: { id: string; template?: { version: number } }[] }>('list-jobs', {
      template: 'flaky',
    });
    expect(jobs.jobs.map((j) => j.id)).toEqual([...ids].reverse());
    expect(jobs.jobs.every((j) => j.template?.version === 1)).toBe(true);
    expect(await refused('list-jobs', { template: 'nope' })).toMatch(
      /^Error \(unknown_template\): There is no template named "nope"\. list-templates shows the templates there are/,
    );
    // Paging by name: one per page, the cursor leads on.
    const first = await ok<{ templates: { name: string }[]; next_cursor: string }>('list-templates', { limit: 1 });
    expect(first.templates.map((t) => t.name)).toEqual(['flaky']);
    const second = await ok<{ templates: { name: string }[] }>('list-templates', {
      limit: 1,
      cursor: first.next_cursor,
    });
    expect(second.templates.map((t) => t.name)).toEqual(['greet']);
  });

  it('an edit while a run is active makes a new version and leaves the run on its own', async () => {
    await ok('save-template', { name: 'slow', server: 'box', command: gated('slow', 'echo version one') });
    const started = await ok<RunResult>('run-template', { name: 'slow', mode: 'background' });
    await waitFor(async () => (await jobStatus(started.job_id)).job.status === 'running', 'the v1 run to start');

    const edited = await ok<Saved>('save-template', { name: 'slow', command: 'echo version two' });
    expect(edited).toMatchObject({ status: 'updated', version: 2, changed: ['command'] });
    expect(edited.diff).toEqual([expect.stringMatching(/^command: ".*echo version one" → "echo version two"$/)]);

    open('slow');
    const done = await waitFor(async () => {
      const s = await call('get-job-status', { job_id: started.job_id, tail_logs: 10 });
      const v = structured<JobStatus & { logs: { text: string }[] }>(s);
      return v.job.status === 'completed' ? v : undefined;
    }, 'the v1 run to end');
    expect(done.logs.map((l) => l.text)).toContain('version one');
    expect(done.job.template?.version).toBe(1);

    const again = await ok<RunResult>('run-template', { name: 'slow', mode: 'sync' });
    expect(again.stdout).toBe('version two');
    const d = await detail('slow');
    expect(d.version).toBe(2);
    expect(d.recent_runs.map((x) => [x.job_id, x.version])).toEqual([
      [again.job_id, 2],
      [started.job_id, 1],
    ]);
    expect(d.versions.map((v) => [v.version, v.changed])).toEqual([
      [2, ['command']],
      [1, []],
    ]);
    expect(d.stats.runs).toBe(2);
    expect(d.version_stats.runs).toBe(1);
  });

  it('dry_run shows the diff and stores nothing', async () => {
    const dry = await ok<Saved>('save-template', { name: 'slow', command: 'echo three', dry_run: true });
    expect(dry).toMatchObject({ status: 'dry_run', version: 3, changed: ['command'] });
    expect(dry.diff).toEqual(['command: "echo version two" → "echo three"']);
    const d = await detail('slow');
    expect([d.version, d.command, d.versions.length]).toEqual([2, 'echo version two', 2]);

    const ghost = await ok<Saved>('save-template', { name: 'ghost', server: 'box', command: 'true', dry_run: true });
    expect(ghost).toMatchObject({ status: 'dry_run', version: 1 });
    expect(await refused('list-templates', { name: 'ghost' })).toMatch(/^Error \(unknown_template\)/);
  });

  it('a disabled template refuses runs with the way to enable it, and runs again once enabled', async () => {
    const off = await ok<Saved>('save-template', { name: 'flaky', status: 'disabled' });
    expect(off.template_status).toBe('disabled');
    const text = await refused('run-template', { name: 'flaky' });
    expect(text).toBe(
      'Error (template_disabled): Template "flaky" is disabled: it does not run. ' +
        'Enable it with save-template {"name": "flaky", "status": "enabled"} first.',
    );
    expect((await detail('flaky')).stats.runs).toBe(3);
    await ok('save-template', { name: 'flaky', status: 'enabled' });
    expect((await ok<RunResult>('run-template', { name: 'flaky', mode: 'sync' })).status).toBe('completed');
  });

  it('a schedule shows its words and next 5 runs; pause and resume keep the rest; null removes it', async () => {
    const saved = await ok<Saved>('save-template', {
      name: 'nightly',
      server: 'box',
      command: 'true',
      schedule: { cron: '30 3 * * *', tz: 'Europe/Berlin', concurrency_policy: 'Forbid' },
    });
    expect(saved.schedule?.description).toBe('At 03:30 (Europe/Berlin)');
    expect(saved.schedule?.tz).toBe('Europe/Berlin');
    expect(saved.schedule?.suspended).toBe(false);
    expect(saved.schedule?.next_runs).toHaveLength(5);
    for (const t of saved.schedule?.next_runs ?? []) expect(t).toMatch(/^\d{4}-\d\d-\d\dT03:30:00\+0[12]:00$/);
    const times = (saved.schedule?.next_runs ?? []).map((t) => Date.parse(t));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(times).size).toBe(5);

    const paused = await call('save-template', { name: 'nightly', schedule: { suspend: true } });
    // Pausing is state, not a new definition: the version (and its statistics) stay.
    expect(structured<Saved>(paused)).toMatchObject({ status: 'updated', version: 1, changed: ['schedule.suspend'] });
    expect(structured<Saved>(paused).schedule?.suspended).toBe(true);
    expect(textOf(paused)).toContain('paused (save-template {schedule: {suspend: false}} resumes it)');
    const d = await detail('nightly');
    expect(d.schedule?.spec).toMatchObject({ cron: '30 3 * * *', suspend: true });
    expect(d.command).toBe('true');

    const resumed = await ok<Saved>('save-template', { name: 'nightly', schedule: { suspend: false } });
    expect(resumed.schedule).toMatchObject({ suspended: false, description: 'At 03:30 (Europe/Berlin)' });
    expect(resumed.schedule?.next_runs).toHaveLength(5);
    expect(resumed.version).toBe(1);

    const removed = await ok<Saved>('save-template', { name: 'nightly', schedule: null });
    expect(removed.schedule).toBeNull();
    expect(removed.changed).toEqual(['schedule']);
    expect((await detail('nightly')).schedule).toBeNull();

    // A schedule that cannot be read is refused with the field named.
    expect(await refused('save-template', { name: 'nightly', schedule: { cron: 'every tuesday' } })).toMatch(/cron/);
  });

  it('delete-template asks for confirmation, cancels the active runs when asked, and keeps past runs as jobs', async () => {
    await ok('save-template', { name: 'blocker', server: 'box', command: gated('never', 'true') });
    const first = await ok<RunResult>('run-template', { name: 'blocker', sync_wait_s: 0 });
    const a = await ok<RunResult>('run-template', { name: 'blocker', mode: 'background' });
    await waitFor(async () => (await jobStatus(a.job_id)).job.status === 'running', 'the run to start');

    // This client cannot be asked (no elicitation): confirm: true is required.
    expect(await refused('delete-template', { name: 'blocker', cancel_runs: true })).toMatch(
      /^Error \(confirmation_required\): delete-template removes "blocker" \(version 1\)[^]*"confirm": true/,
    );
    const del = await call('delete-template', { name: 'blocker', cancel_runs: true, confirm: true });
    expect(del.isError, textOf(del)).toBeFalsy();
    const out = structured<{ status: string; cancelled: string[] }>(del);
    expect(out.status).toBe('deleted');
    expect(out.cancelled.sort()).toEqual([first.job_id, a.job_id].sort());
    for (const id of out.cancelled)
      await waitFor(async () => (await jobStatus(id)).job.status === 'cancelled', `run ${id} to end cancelled`);
    expect(await refused('list-templates', { name: 'blocker' })).toMatch(/^Error \(unknown_template\)/);
    expect(await refused('run-template', { name: 'blocker' })).toMatch(/^Error \(unknown_template\)/);
    // Its runs are still jobs.
    expect((await jobStatus(a.job_id)).job.template?.version).toBe(1);

    // Without cancel_runs an active run keeps going.
    await ok('save-template', { name: 'blocker2', server: 'box', command: gated('b2', 'echo finished') });
    const b = await ok<RunResult>('run-template', { name: 'blocker2', mode: 'background' });
    await waitFor(async () => (await jobStatus(b.job_id)).job.status === 'running', 'the run to start');
    const kept = await ok<{ cancelled: string[] }>('delete-template', { name: 'blocker2', confirm: true });
    expect(kept.cancelled).toEqual([]);
    open('b2');
    await waitFor(async () => (await jobStatus(b.job_id)).job.status === 'completed', 'the run to complete');
  });

  it('saving goes through policy: a read-only server refuses a template that writes', async () => {
    const r: CallToolResult = await call('add-server', {
      name: 'ro',
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      private_key_path: sshd.clientKey,
      policy: { mode: 'read-only' },
    });
    expect(r.isError, textOf(r)).toBeFalsy();
    const text = await refused('save-template', { name: 'wipe', server: 'ro', command: 'rm -rf /srv/data' });
    expect(text).toMatch(/^Refused \(policy_denied\)/);
    expect(await refused('list-templates', { name: 'wipe' })).toMatch(/^Error \(unknown_template\)/);
    // A read-only command is fine there.
    expect((await ok<Saved>('save-template', { name: 'peek', server: 'ro', command: 'uptime' })).status).toBe(
      'created',
    );
  });

  it('a template over several servers runs as one batch; a delayed run answers scheduled_for and can be cancelled', async () => {
    await ok('save-template', {
      name: 'fleet',
      servers: ['box', 'ro'],
      command: 'echo "hi $WHO"',
      params: [{ name: 'WHO', default: 'all' }],
      priority: 'low',
    });
    const r = await call('run-template', { name: 'fleet', mode: 'sync' });
    expect(r.isError, textOf(r)).toBeFalsy();
    const b = structured<{ status: string; job_id: string; batch: { total: number } }>(r);
    expect(b.status).toBe('completed');
    expect(b.batch.total).toBe(2);
    expect(textOf(r)).toContain('hi all');
    const runs = await ok<{ jobs: { id: string; type: string; priority?: string }[] }>('list-jobs', {
      template: 'fleet',
    });
    expect(runs.jobs.map((j) => j.id)).toEqual([b.job_id]);
    // The template's run default is shown and reaches the run (each server's job).
    expect(((await detail('fleet')) as unknown as { defaults: unknown }).defaults).toEqual({
      priority: 'low',
      history: { successful: 3, failed: 1 },
    });
    const child = await ok<{ jobs: { parent_id?: string; priority?: string }[] }>('list-jobs', {
      server: 'ro',
      limit: 1,
    });
    expect(child.jobs[0]).toMatchObject({ parent_id: b.job_id, priority: 'low' });

    expect((await detail('fleet')).stats).toMatchObject({ runs: 1, completed: 1, active: 0 });

    // (A single-server template: a batch answers after sync_wait_s even while its children wait for their time.)
    const later = await ok<{ status: string; job_id: string; scheduled_for: string }>('run-template', {
      name: 'flaky',
      delay_s: 3600,
      priority: 'high',
    });
    expect(later.status).toBe('queued');
    expect(Date.parse(later.scheduled_for) - Date.now()).toBeGreaterThan(3500_000);
    const st = await ok<{ job: { status: string; priority?: string } }>('get-job-status', { job_id: later.job_id });
    expect(st.job.priority).toBe('high');
    expect((await detail('flaky')).stats.active).toBe(1);
    await ok('cancel-job', { job_id: later.job_id });
    expect((await jobStatus(later.job_id)).job.status).toBe('cancelled');
    expect((await detail('flaky')).stats).toMatchObject({ cancelled: 1, active: 0 });
  });

  it('keeps every list-templates answer under 20 KB: a long page is cut short with a cursor that leads on', async () => {
    const long = 'x'.repeat(1000);
    for (let i = 0; i < 60; i++)
      await ok('save-template', {
        name: `bulk-${String(i).padStart(2, '0')}`,
        description: long,
        servers: ['box', 'ro'],
        command: 'uptime',
        schedule: { every: '1h' },
      });
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const r = await call('list-templates', { limit: 100, ...(cursor ? { cursor } : {}) });
      expect(r.isError, textOf(r)).toBeFalsy();
      expect(Buffer.byteLength(JSON.stringify(r.structuredContent))).toBeLessThan(20 * 1024);
      expect(Buffer.byteLength(textOf(r))).toBeLessThan(20 * 1024);
      const page = structured<{ templates: { name: string }[]; next_cursor: string | null }>(r);
      for (const t of page.templates) {
        expect(seen.has(t.name), t.name).toBe(false);
        seen.add(t.name);
      }
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    const bulk = [...seen].filter((n) => n.startsWith('bulk-'));
    expect(bulk).toHaveLength(60);
    // The first page could not hold all: it was cut, and the cursor found the rest.
    expect(seen.size).toBeGreaterThan(60);
    const first = structured<{ templates: unknown[] }>(await call('list-templates', { limit: 100 }));
    expect(first.templates.length).toBeLessThan(seen.size);
    for (let i = 0; i < 60; i++)
      await ok('delete-template', { name: `bulk-${String(i).padStart(2, '0')}`, confirm: true });
  });
});

describe('delete-template with a client that can ask the user (elicitation)', () => {
  let sshd: SshdHandle;
  let home: { dir: string; cleanup(): void };
  let mcp: StdioSession;
  const asked: { message: string }[] = [];
  let reply: 'accept' | 'decline' = 'decline';

  beforeAll(async () => {
    sshd = await startSshd();
    home = tempHome();
    mcp = await startStdio(
      { DECKHAND_HOME: home.dir },
      {
        clientOptions: { capabilities: { elicitation: {} } },
        prepare: (client) =>
          client.setRequestHandler(ElicitRequestSchema, async (req) => {
            asked.push(req.params as { message: string });
            return reply === 'decline' ? { action: 'decline' } : { action: 'accept', content: { confirm: true } };
          }),
      },
    );
    const added = await mcp.call('add-server', {
      name: 'box',
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      private_key_path: sshd.clientKey,
    });
    expect(added.isError, textOf(added)).toBeFalsy();
  });
  afterAll(async () => {
    await mcp?.close();
    await sshd?.stop();
    home?.cleanup();
  });

  it('asks; a decline deletes nothing, a yes deletes it without confirm: true', async () => {
    const saved = await mcp.call('save-template', { name: 'asked', server: 'box', command: 'uptime' });
    expect(saved.isError, textOf(saved)).toBeFalsy();
    reply = 'decline';
    const kept = structured<{ status: string }>(await mcp.call('delete-template', { name: 'asked' }));
    expect(kept.status).toBe('declined');
    expect(asked.map((a) => a.message)).toEqual([
      'Delete template "asked" (version 1) with its versions and schedule?',
    ]);
    expect((await mcp.call('list-templates', { name: 'asked' })).isError).toBeFalsy();
    reply = 'accept';
    const gone = structured<{ status: string }>(await mcp.call('delete-template', { name: 'asked' }));
    expect(gone.status).toBe('deleted');
    expect(asked).toHaveLength(2);
    expect(textOf(await mcp.call('list-templates', { name: 'asked' }))).toMatch(/^Error \(unknown_template\)/);
  });
});
