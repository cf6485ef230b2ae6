import { describe, expect, it } from 'vitest';
import { DeckhandError } from '../../src/errors.js';
import type { JobMark, JobSecretName } from '../../src/jobs/files.js';
import type { JobContext, StopReason } from '../../src/jobs/handler.js';
import type { LogWriter } from '../../src/jobs/store/contract.js';
import { createJob } from '../../src/jobs/types.js';
import { RemoteBashHandler, type RemoteBashParams } from '../../src/remote-bash/handler.js';
import type { Inventory, ServerRecord } from '../../src/servers/index.js';
import type { SshPool } from '../../src/ssh/pool.js';
import { waitFor } from '../helpers/wait.js';

/**
 * What the remote-bash handler decides before a command reaches a server, without one: the pool fails to connect
 * the way ssh2 does (a DeckhandError with the connect error's code), and the job's files, log and stop are fakes.
 * What it does with a live connection (start, follow, kill, resume) is proved against a real sshd in
 * tests/e2e/remote-bash.test.ts and tests/e2e/jobs-*.test.ts.
 */
const SERVER: ServerRecord = {
  name: 'box',
  host: '192.0.2.1',
  port: 22,
  user: 'root',
  auth: { private_key_path: '/nonexistent' },
  host_key_fingerprint: 'SHA256:n5Kt0pWcQw1dL3ZpQbXfPpLO0x4oF9hNE0u5kIuQ7xA',
  labels: {},
  added_at: '2026-01-01T00:00:00.000Z',
};

function fixture(o: { params?: Partial<RemoteBashParams>; marks?: JobMark[]; connectError: DeckhandError }) {
  const controller = new AbortController();
  let reason: StopReason | undefined;
  const notes: string[] = [];
  const marks = new Set<JobMark>(o.marks ?? []);
  const secrets = new Map<JobSecretName, unknown>([['env', { TOKEN: 'x' }]]);
  let connects = 0;
  const job = {
    ...createJob(
      { type: 'remote-bash', server: 'box', params: { command: 'uptime', ...o.params }, timeout_s: 60 },
      new Date(),
    ),
    status: 'running' as const,
    attempt: 1,
  };
  const ctx: JobContext = {
    job,
    recovering: false,
    signal: controller.signal,
    stopReason: () => reason,
    log: { durableOffsets: { out: 0, err: 0 } } as unknown as LogWriter,
    files: {
      jobId: job.id,
      readSecret: async <T>(name: JobSecretName) => secrets.get(name) as T | undefined,
      putSecret: async (name, value) => void secrets.set(name, value),
      dropSecret: async (name) => void secrets.delete(name),
      mark: async (name) => void marks.add(name),
      marked: (name) => marks.has(name),
    },
    note: (text) => void notes.push(text),
    progress: () => undefined,
    setRuntime: async () => undefined,
  };
  const handler = new RemoteBashHandler({
    inventory: { get: async () => SERVER } as unknown as Inventory,
    pool: {
      acquire: async () => {
        connects++;
        throw o.connectError;
      },
    } as unknown as SshPool,
    keepFailedMinutes: 60,
    env: {},
  });
  return {
    run: () => handler.run(ctx),
    stop(r: StopReason) {
      reason = r;
      controller.abort(r);
    },
    notes,
    secrets,
    connects: () => connects,
  };
}

const unreachable = () =>
  new DeckhandError('connect_timeout', 'Could not connect to 192.0.2.1:22 within 10 s.', { hint: 'Is it up?' });

describe('remote-bash handler: connect errors before the command starts', () => {
  it('fails a job at once on an error no retry can cure (a host key mismatch), and drops its env values', async () => {
    const f = fixture({ connectError: new DeckhandError('host_key_mismatch', 'The host key changed.') });
    expect(await f.run()).toMatchObject({ kind: 'failed', error: { code: 'host_key_mismatch' } });
    expect(f.connects()).toBe(1);
    expect(f.secrets.has('env')).toBe(false);
  });

  it('fails a batch child whose server cannot be reached: partial reachability is a batch result', async () => {
    const f = fixture({ params: { batch: true }, connectError: unreachable() });
    const out = await f.run();
    expect(out).toMatchObject({ kind: 'failed', error: { code: 'connect_timeout' } });
    expect(out.kind === 'failed' && out.error.message).toMatch(/Could not connect.*Is it up\?/s);
    expect(f.connects()).toBe(1);
  });

  it('keeps retrying a single job (the server may come back), saying so in its log, until it is cancelled', async () => {
    const f = fixture({ connectError: unreachable() });
    const out = f.run();
    await waitFor(() => f.notes.length > 0, 'the retry note');
    expect(f.notes[0]).toMatch(/^cannot reach the server \(Could not connect.*\); retrying in \d+ s$/);
    f.stop('cancel');
    expect(await out).toEqual({ kind: 'cancelled', message: 'Cancelled before the command started.' });
    expect(f.secrets.has('env')).toBe(false);
  });

  it('answers a timeout before the start as a timeout, and a shutdown by leaving the job (and its env) for the next owner', async () => {
    const t = fixture({ connectError: unreachable() });
    const timing = t.run();
    await waitFor(() => t.notes.length > 0, 'the retry note');
    t.stop('timeout');
    expect(await timing).toEqual({ kind: 'timeout', message: 'Timed out before the command could start.' });

    const s = fixture({ connectError: unreachable() });
    const stopping = s.run();
    await waitFor(() => s.notes.length > 0, 'the retry note');
    s.stop('shutdown');
    expect(await stopping).toEqual({ kind: 'abandon' });
    expect(s.secrets.has('env')).toBe(true);
  });

  it('retries a batch child whose start may have gone out, and on cancel says the command could not be confirmed gone', async () => {
    const f = fixture({ params: { batch: true }, marks: ['start-sent'], connectError: unreachable() });
    const out = f.run();
    await waitFor(() => f.notes.length > 0, 'the retry note');
    f.stop('cancel');
    const end = await out;
    expect(end.kind).toBe('cancelled');
    expect(end.kind === 'cancelled' && end.message).toMatch(
      /could not confirm the remote command is gone \(the server could not be reached to kill the command\)/,
    );
  });
});
