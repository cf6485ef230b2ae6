import { describe, expect, it } from 'vitest';
import type { StoreChange } from '../../../../src/jobs/store/contract.js';
import * as T from '../../../../src/jobs/types.js';
import { A, B, claimReq, spec, T0, waitUntil, type MakeWorld } from './world.js';

export function changesContract(world: MakeWorld): void {
  describe('change hints', () => {
    it('tells a watcher of changes made by another instance within half a second, not of its own', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      const seen: (StoreChange & { at: number })[] = [];
      const stop = a.changes.watch((c) => seen.push({ ...c, at: Date.now() }));
      try {
        // Let the watcher settle (SQLite notes where the feed is; PostgreSQL connects its listener).
        await new Promise((r) => setTimeout(r, 300));
        const [mine] = await a.jobs.create([spec()], T0);
        const t0 = Date.now();
        const [theirs] = await b.jobs.create([spec()], T0);
        await waitUntil(() => seen.some((c) => c.kind === 'job' && c.id === theirs!.id), 'a hint of B’s job', 2000);
        const hint = seen.find((c) => c.kind === 'job' && c.id === theirs!.id)!;
        expect(hint.at - t0).toBeLessThan(500);
        // An update and a cancel request by B are told too.
        const t1 = Date.now();
        seen.length = 0;
        await b.jobs.update(mine!.id, (j) => T.setProgress(j, { percent: 5 }));
        await waitUntil(() => seen.some((c) => c.kind === 'job' && c.id === mine!.id), 'a hint of B’s update', 2000);
        expect(seen.find((c) => c.kind === 'job' && c.id === mine!.id)!.at - t1).toBeLessThan(500);
        seen.length = 0;
        // A's own change is A's to tell its listeners: the feed leaves it out.
        await a.jobs.update(theirs!.id, (j) => T.setProgress(j, { percent: 1 }));
        await b.jobs.update(mine!.id, (j) => T.setProgress(j, { percent: 6 }));
        await waitUntil(() => seen.some((c) => c.kind === 'job' && c.id === mine!.id), 'B’s second update', 2000);
        await new Promise((r) => setTimeout(r, 300));
        expect(seen.filter((c) => c.kind === 'job' && c.id === theirs!.id)).toEqual([]);
      } finally {
        stop();
      }
    });

    it('tells a watcher that a job run by another instance has new lines within half a second', async () => {
      const w = await world();
      const a = await w.open(A);
      const b = await w.open(B);
      const [job] = await b.jobs.create([spec()], T0);
      await b.jobs.claim(claimReq(B));
      const log = await b.logs.open(job!.id, { maxBytes: 1 << 20 });
      log.add('stdout', 'first', 6);
      await log.flush();
      const seen: (StoreChange & { at: number })[] = [];
      const stop = a.changes.watch((c) => seen.push({ ...c, at: Date.now() }));
      try {
        await new Promise((r) => setTimeout(r, 300));
        const lat: number[] = [];
        for (let i = 2; i <= 6; i++) {
          const t = Date.now();
          log.add('stdout', `line ${i}`, log.offsets.out + 7);
          await log.flush();
          b.changes.announceLines(job!.id, log.seq);
          await waitUntil(
            () => seen.some((c) => c.kind === 'lines' && c.id === job!.id && c.seq >= i),
            `a lines hint up to ${i}`,
            2000,
          );
          lat.push(seen.find((c) => c.kind === 'lines' && c.seq >= i)!.at - t);
        }
        expect(Math.max(...lat)).toBeLessThan(500);
      } finally {
        stop();
        await log.close();
      }
    });
  });
}
