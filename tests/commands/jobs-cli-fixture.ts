// `deckhand jobs ...` as people run it: the built binary, on a DECKHAND_HOME the test seeds through the job store and
// log writer of src/ (the binary is built from the same sources by the e2e project's global setup).
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, beforeEach } from 'vitest';
import { jobDir } from '../../src/jobs/log/file-store.js';
import { FileLogWriter } from '../../src/jobs/log/writer.js';
import type { Stores } from '../../src/jobs/store/contract.js';
import { openStores } from '../../src/jobs/store/open.js';
import { exitJob, newJobId, startJob, type Job } from '../../src/jobs/types.js';
import { tempHome } from '../helpers/home.js';
import { CLI } from '../helpers/mcp.js';

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export const UNKNOWN = 'job_01JD3Q8X5K2M7N4P6R8S0T2V4W';

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** A fresh DECKHAND_HOME per test (hooks of the calling file), the CLI started on it, and ways to seed it. */
export function useJobsCli() {
  let home: { dir: string; cleanup(): void } | undefined;
  let stores: Stores | undefined;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    home = tempHome();
    stores = await openStores({ home: home.dir }, { instance: { id: 'inst_seed', host: 'test', pid: process.pid } });
  });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await stores?.close();
    home?.cleanup();
  });
  const dir = () => {
    if (!home) throw new Error('no DECKHAND_HOME outside a test');
    return home.dir;
  };

  function start(args: string[], stdin: 'pipe' | 'ignore' = 'ignore') {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: dir(), DECKHAND_HOME: dir(), DECKHAND_LOG_LEVEL: 'warn' },
      stdio: [stdin, 'pipe', 'pipe'],
    });
    children.push(child);
    const got = { stdout: '', stderr: '' };
    child.stdout!.on('data', (d: Buffer) => (got.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (got.stderr += d.toString()));
    const done = new Promise<Ran>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, ...got }));
    });
    return { child, got, done };
  }

  const opened = () => {
    if (!stores) throw new Error('no stores outside a test');
    return stores;
  };
  const store = () => opened().jobs;

  return {
    /** DECKHAND_HOME of the current test. */
    dir,
    start,
    /** Runs `deckhand jobs ...` to completion; a hang fails the test by its timeout. */
    jobs: (...args: string[]): Promise<Ran> => start(['jobs', ...args]).done,
    store,
    /** The instances registered in the job system (a CLI command never registers one). */
    instances: () => opened().instances.list(),
    writer: (id: string) => new FileLogWriter(jobDir(dir(), id), { maxBytes: 1 << 20 }),
    async newJob(server: string, command: string, createdS: number): Promise<Job> {
      const when = Date.now() - 3600_000 + createdS * 1000;
      const spec = { id: newJobId(when), type: 'remote-bash', server, params: { command }, timeout_s: 600 };
      return (await store().create([spec], when))[0]!;
    },
    async running(job: Job): Promise<Job> {
      return (await store().update(job.id, (j) => startJob(j, new Date())))!;
    },
    async ended(job: Job, exitCode: number): Promise<Job> {
      return (await store().update(job.id, (j) =>
        exitJob(j.status === 'queued' ? startJob(j, new Date()) : j, exitCode, new Date()),
      ))!;
    },
    addLines(w: FileLogWriter, from: number, to: number, stream: (i: number) => 'stdout' | 'stderr' = () => 'stdout') {
      for (let i = from; i <= to; i++) {
        const s = stream(i);
        const text = `${s === 'stdout' ? 'out' : 'err'} ${i}`;
        w.add(s, text, (s === 'stdout' ? w.offsets.out : w.offsets.err) + text.length + 1);
      }
      w.flush();
    },
  };
}
