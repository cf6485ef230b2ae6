import fs from 'node:fs';
import path from 'node:path';
import { jobDir } from '../src/jobs/log/file-store.js';
import { FileLogWriter } from '../src/jobs/log/writer.js';
import type { Job } from '../src/jobs/types.js';
import { structured, type StdioSession } from '../tests/helpers/mcp.js';
import type { SshdHandle } from '../tests/helpers/sshd.js';
import { fmtMs, percentile, type Row } from './stats.js';
import { fill } from './seed.js';

interface Ctx {
  mcp: StdioSession;
  sshd: SshdHandle;
  home: string;
  rows: Row[];
  timeSsh(cmd: string): number;
  peakRss(): number;
  resetPeakRss(): boolean;
}

interface Status {
  job: Job;
  logs: unknown[];
}

async function waitDone(mcp: StdioSession, id: string): Promise<Job> {
  for (;;) {
    const s = structured<Status>(await mcp.call('get-job-status', { job_id: id, tail_logs: 0, wait_s: 5 }));
    if (!['queued', 'running'].includes(s.job.status)) return s.job;
  }
}

export async function benchJobs(c: Ctx): Promise<void> {
  // queued → running: 100 short jobs submitted at once, so most wait for one of DECKHAND_MAX_JOBS_PER_SERVER slots.
  // A job that finds a free slot is created running (0 by construction); one that waits is measured from the moment
  // its slot freed (the latest finish at or before its start) to its start: the engine's own scheduling overhead.
  // The engine starts the next queued job in the very write that records a job's end, so most of these are 0 too.
  {
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const r = structured<{ job_id: string }>(
        await c.mcp.call('remote-bash', { server: 'bench', command: 'sleep 0.05', mode: 'background' }),
      );
      ids.push(r.job_id);
    }
    const jobs: Job[] = [];
    for (const id of ids) jobs.push(await waitDone(c.mcp, id));
    const finishes = jobs.map((j) => Date.parse(j.finished_at ?? '')).sort((a, b) => a - b);
    const lat: number[] = [];
    let queued = 0;
    for (const j of jobs) {
      const created = Date.parse(j.created_at);
      const started = Date.parse(j.started_at ?? j.created_at);
      if (started === created) {
        lat.push(0);
        continue;
      }
      queued++;
      const freed = finishes.filter((f) => f <= started).at(-1) ?? created;
      lat.push(started - Math.max(created, freed));
    }
    c.rows.push({
      figure: `queued -> running, 100 jobs (${queued} queued), p99`,
      deckhand: fmtMs(percentile(lat, 99)),
      reference: `p50 ${fmtMs(percentile(lat, 50))}`,
      ratio: '',
      target: '< 50 ms',
    });
  }

  // get-job-status with 10,000 finished jobs in the store and a 1 GB log.
  {
    // Finished jobs written straight into deckhand.db beside the running deckhand (setup, not measured).
    const ids = fill(path.join(c.home, 'deckhand.db'), 10_000);
    const big = { id: ids.at(-1) as string };
    const w = new FileLogWriter(jobDir(c.home, big.id), { maxBytes: 4 * 1024 ** 3 });
    const line = 'x'.repeat(1000);
    let off = 0;
    for (let i = 0; i < 1_050_000; i++) {
      off += line.length + 1;
      w.add('stdout', `${i} ${line}`, off);
      if (i % 5000 === 0) w.flush();
    }
    w.close();
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      const args =
        i % 2 === 0 ? { job_id: big.id, tail_logs: 50 } : { job_id: big.id, tail_logs: 50, cursor: 500_000 + i };
      structured(await c.mcp.call('get-job-status', args));
      times.push(performance.now() - t);
    }
    const size = fs.statSync(path.join(jobDir(c.home, big.id), 'head.log')).size;
    c.rows.push({
      figure: `get-job-status p99 (10k jobs, ${(size / 1024 ** 3).toFixed(2)} GB log)`,
      deckhand: fmtMs(percentile(times, 99)),
      reference: `p50 ${fmtMs(percentile(times, 50))}`,
      ratio: '',
      target: '< 20 ms',
    });
    fs.rmSync(jobDir(c.home, big.id), { recursive: true, force: true });
  }

  // Log capture throughput, against OpenSSH writing to /dev/null.
  {
    const t = performance.now();
    const r = structured<{ job_id: string }>(
      await c.mcp.call('remote-bash', { server: 'bench', command: 'seq 1 5000000', mode: 'background' }),
    );
    const j = await waitDone(c.mcp, r.job_id);
    const ours = performance.now() - t;
    const ref = c.timeSsh('seq 1 5000000');
    c.rows.push({
      figure: `background seq 1 5000000 (${j.status})`,
      deckhand: fmtMs(ours),
      reference: `ssh > /dev/null ${fmtMs(ref)}`,
      ratio: `${(ours / ref).toFixed(2)}x`,
      target: '<= 1.5x',
    });
  }
  {
    // The target is memory while a job streams 1 GB: the peak since just before it starts. The process's lifetime
    // peak (which includes reading the 10,000 seeded jobs once) is shown too.
    const lifetime = c.peakRss();
    const reset = c.resetPeakRss();
    const cmd = "head -c 1000000000 /dev/zero | tr '\\0' x | fold -w 99";
    const t = performance.now();
    const r = structured<{ job_id: string }>(
      await c.mcp.call('remote-bash', { server: 'bench', command: cmd, mode: 'background' }),
    );
    const j = await waitDone(c.mcp, r.job_id);
    const ours = performance.now() - t;
    const ref = c.timeSsh(cmd);
    c.rows.push({
      figure: `background 1 GB of output (${j.status})`,
      deckhand: fmtMs(ours),
      reference: `ssh > /dev/null ${fmtMs(ref)}`,
      ratio: `${(ours / ref).toFixed(2)}x`,
      target: '',
    });
    c.rows.push({
      figure: reset ? 'deckhand peak RSS while 1 GB streams' : 'deckhand peak RSS (lifetime, after 1 GB streamed)',
      deckhand: `${c.peakRss().toFixed(0)} MB`,
      reference: reset ? `lifetime peak before it ${lifetime.toFixed(0)} MB` : '',
      ratio: '',
      target: '< 150 MB',
    });
  }
}
