import { describe, expect, it } from 'vitest';
import { jobFilesFor } from '../../../../src/jobs/files.js';
import type { Stores } from '../../../../src/jobs/store/contract.js';
import * as T from '../../../../src/jobs/types.js';
import { A, B, spec, type MakeWorld } from './world.js';

const DAY = 86_400_000;

/** A job with a log of `n` lines, ended now (or left running). */
async function jobWithLog(s: Stores, n: number, end: boolean): Promise<string> {
  const [job] = await s.jobs.create([spec()], Date.now());
  const id = job!.id;
  await s.jobs.update(id, (j) => T.startJob(j, new Date()));
  const w = await s.logs.open(id, { maxBytes: 1 << 20 });
  for (let i = 1; i <= n; i++) w.add('stdout', `line ${i} of ${id}`, (w.offsets.out ?? 0) + 30);
  await w.flush();
  await w.close();
  if (end) await s.jobs.update(id, (j) => T.exitJob(j, 0, new Date()));
  return id;
}

export function retentionContract(world: MakeWorld): void {
  describe('log retention', () => {
    it("removes the logs of jobs that ended longer ago than keepDays, once, never a running job's", async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      const done = await jobWithLog(a, 30, true);
      const running = await jobWithLog(a, 30, false);
      const policy = { keepDays: 30, maxTotalBytes: 1 << 30 };
      expect(await a.logs.sweep(policy, Date.now())).toEqual({ removed: 0, bytes: 0 });
      const bytes = await a.logs.size(done);
      const later = Date.now() + 31 * DAY;
      expect(await a.logs.sweep(policy, later)).toEqual({ removed: 1, bytes: expect.any(Number) });
      const r = await b.logs.read(done, { limit: 10 });
      expect(r.lines).toEqual([]);
      expect(r.total_lines).toBe(30);
      expect(r.removed?.reason).toMatch(/more than 30 days ago \(DECKHAND_JOB_LOGS_RETAIN_DAYS\)/);
      expect(r.removed?.total_lines).toBe(30);
      expect(r.removed?.log_bytes).toBe(bytes);
      expect(await a.logs.size(done)).toBe(0);
      // A second sweep (another instance) finds nothing to do and leaves the note as it was.
      expect(await b.logs.sweep(policy, later + 1000)).toEqual({ removed: 0, bytes: 0 });
      expect((await a.logs.read(done, { limit: 1 })).removed).toEqual(r.removed);
      expect((await b.logs.read(running, { limit: 100 })).lines).toHaveLength(30);
    });

    it('past the total byte cap removes the logs of the longest-finished jobs first, down to the cap', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      const d1 = await jobWithLog(a, 200, true);
      const d2 = await jobWithLog(a, 200, true);
      const d3 = await jobWithLog(a, 200, true);
      const running = await jobWithLog(a, 200, false);
      const size = async (id: string) => a.logs.size(id);
      const cap = (await size(d3)) + (await size(running)) + Math.floor((await size(d1)) / 2);
      const r = await b.logs.sweep({ keepDays: 30, maxTotalBytes: cap }, Date.now());
      expect(r.removed).toBe(2);
      for (const id of [d1, d2]) {
        const read = await a.logs.read(id, { limit: 1 });
        expect(read.removed?.reason).toMatch(/DECKHAND_JOB_LOGS_MAX_TOTAL_BYTES/);
      }
      expect((await a.logs.read(d3, { limit: 300 })).lines).toHaveLength(200);
      expect((await a.logs.read(running, { limit: 300 })).lines).toHaveLength(200);
    });
  });

  describe("a job's secrets and launch marks", () => {
    it('put by one instance are found by another (the one that takes the job over), and their secrets cleared once it ended', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      // Both instances share one home in the embedded mode (processes of one machine); each has its own otherwise.
      const home = (s: Stores) => (s.kind === 'sqlite' ? s.location.replace(/\/deckhand\.db$/, '') : '/nonexistent');
      const fa = jobFilesFor(a.kind, home(a), a.secrets);
      const fb = jobFilesFor(b.kind, home(b), b.secrets);
      const [job] = await a.jobs.create([spec()], Date.now());
      const id = job!.id;
      await fa.putSecret(id, 'env', { TOKEN: 's3cr3t' });
      const va = await fa.forJob(id);
      expect(va.marked('start-sent')).toBe(false);
      await va.mark('start-sent', '2027-01-01T00:00:00Z');
      await va.mark('launched', '4242\n');
      expect(va.marked('launched')).toBe(true);
      const vb = await fb.forJob(id);
      expect(vb.marked('start-sent')).toBe(true);
      expect(vb.marked('launched')).toBe(true);
      expect(await vb.readSecret('env')).toEqual({ TOKEN: 's3cr3t' });
      await vb.dropSecret('env');
      expect(await (await fa.forJob(id)).readSecret('env')).toBeUndefined();
      await vb.putSecret('host-key', { privateKey: 'k' });
      await fb.clear(id);
      expect(await (await fa.forJob(id)).readSecret('host-key')).toBeUndefined();
    });
  });
}
