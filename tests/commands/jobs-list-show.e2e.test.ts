import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { UNKNOWN, useJobsCli } from './jobs-cli-fixture.js';

const cli = useJobsCli();
const { jobs, start, store, writer, newJob, ended, addLines } = cli;

describe('deckhand jobs list / show', () => {
  it('lists jobs newest first in a table, filtered and limited', async () => {
    const a = await ended(await newJob('web1', 'make build', 1), 0);
    const b = await ended(await newJob('db', 'pg_dump\nrm x', 2), 3);
    const c = await newJob('web1', 'sleep 100', 3);
    const all = await jobs('list');
    expect(all.code, all.stderr).toBe(0);
    const rows = all.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^ID\s+STATUS\s+TYPE\s+SERVER\s+CREATED\s+DURATION\s+COMMAND$/);
    expect(rows.slice(1).map((r) => r.split(/\s+/).slice(0, 2))).toEqual([
      [c.id, 'queued'],
      [b.id, 'failed'],
      [a.id, 'completed'],
    ]);
    expect(rows[2]).toContain('failed (3)');
    // A newline inside a command must not break the table.
    expect(rows[2]).toContain('pg_dump⏎rm x');
    expect(rows[1]).toContain('sleep 100');

    const failed = await jobs('list', '--status', 'failed');
    expect(
      failed.stdout
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((r) => r.split(' ')[0]),
    ).toEqual([b.id]);
    const web = await jobs('list', '--server', 'web1', '--type', 'remote-bash');
    expect(
      web.stdout
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((r) => r.split(' ')[0]),
    ).toEqual([c.id, a.id]);
    const one = await jobs('list', '--limit', '1');
    expect(one.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(one.stderr).toContain('older jobs not shown');
    const none = await jobs('list', '--type', 'deploy-app');
    expect(none).toMatchObject({ code: 0, stdout: 'No jobs match.\n' });
  });

  it('says so when there are no jobs, and refuses bad flags with exit code 2', async () => {
    expect(await jobs('list')).toMatchObject({ code: 0, stdout: 'No jobs yet.\n' });
    for (const [args, msg] of [
      [['list', '--status', 'done'], '--status must be one of queued, running, completed, failed, cancelled, lost'],
      [['list', '--limit', '0'], '--limit must be a whole number from 1'],
      [['list', '--limit', 'ten'], '--limit must be a whole number'],
      [['list', '--limit'], 'Option "--limit" needs a value'],
      [['list', '--stat', 'failed'], 'Unknown option "--stat"'],
      [['list', 'extra'], 'Unexpected argument "extra"'],
      [['frob'], 'Unknown command "deckhand jobs frob"'],
      [[], 'Missing the jobs command'],
    ] as const) {
      const r = await jobs(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(msg);
      expect(r.stdout).toBe('');
    }
  });

  it('shows one job for people and as JSON; bad and unknown ids are clear errors', async () => {
    const job = await ended(await newJob('web1', 'make build', 1), 2);
    const w = writer(job.id);
    addLines(w, 1, 4);
    w.close();
    const human = await jobs('show', job.id);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout.split('\n')[0]).toBe(job.id);
    expect(human.stdout).toMatch(/^\s+status\s+failed \(2\)$/m);
    expect(human.stdout).toMatch(/^\s+command\s+make build$/m);
    expect(human.stdout).toMatch(/^\s+server\s+web1$/m);
    expect(human.stdout).toMatch(/^\s+exit code\s+2$/m);
    expect(human.stdout).toMatch(/^\s+error\s+exit_code: The command exited with code 2\.$/m);
    expect(human.stdout).toMatch(/^\s+log\s+4 lines, /m);

    const json = await jobs('show', job.id, '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(await store().get(job.id));

    const bad = await jobs('show', '../../etc/passwd');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"../../etc/passwd" is not a job id');
    const unknown = await jobs('show', UNKNOWN);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`No job ${UNKNOWN}`);
    expect((await jobs('show')).stderr).toContain('Missing the job id');
  });

  it('reads the store while a deckhand server executes jobs, without joining the job system itself', async () => {
    const job = await newJob('web1', 'true', 1);
    await jobs('list');
    // On their own, the commands never register an instance (they execute nothing).
    expect(await cli.instances()).toEqual([]);
    const server = start([], 'pipe');
    await waitFor(async () => (await cli.instances()).length > 0, 'the server to join the job system', 15_000, 25);
    const before = await cli.instances();
    expect(before).toEqual([expect.objectContaining({ pid: server.child.pid })]);
    const list = await jobs('list');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(job.id);
    expect((await jobs('show', job.id, '--json')).code).toBe(0);
    expect((await cli.instances()).map((i) => i.id)).toEqual(before.map((i) => i.id));
    server.child.stdin!.end();
    await server.done;
  });
});
