import { describe, expect, it } from 'vitest';
import { GENESIS, readAll, retentionCutoff, verifyChain, verifySink, type AuditSink } from '../../src/audit/index.js';
import { record } from './records.js';

/**
 * The behaviour every AuditSink must have. The SQL stores run this suite too, with a factory that gives a fresh,
 * empty sink (its own schema or database) and a cleanup.
 */
export function describeAuditSinkContract(
  name: string,
  make: () => Promise<{ sink: AuditSink; cleanup(): Promise<void> }>,
): void {
  const withSink = (test: (sink: AuditSink) => Promise<void>) => async () => {
    const { sink, cleanup } = await make();
    try {
      await test(sink);
    } finally {
      await cleanup();
    }
  };

  describe(`AuditSink contract: ${name}`, () => {
    it(
      'an empty sink starts at GENESIS and verifies',
      withSink(async (sink) => {
        expect(await sink.head()).toEqual(GENESIS);
        expect(await sink.checkpoint()).toEqual(GENESIS);
        expect(await sink.read()).toEqual({ entries: [], next: 0 });
        expect(await verifySink(sink)).toEqual({ ok: true, count: 0, head: GENESIS });
      }),
    );

    it(
      'append seals each record onto the head: seq 1, 2, 3 … each carrying the hash before it',
      withSink(async (sink) => {
        const a = await sink.append(record(1));
        const b = await sink.append(record(2));
        expect(a).toMatchObject({ seq: 1, prev_hash: GENESIS.hash, tool: 'remote-bash', job_id: 'job-1' });
        expect(b).toMatchObject({ seq: 2, prev_hash: a.hash });
        expect(await sink.head()).toEqual({ seq: 2, hash: b.hash });
        expect((await sink.read()).entries).toEqual([a, b]);
      }),
    );

    it(
      'concurrent appends never fork the chain or reuse a seq',
      withSink(async (sink) => {
        const entries = await Promise.all(Array.from({ length: 50 }, (_, i) => sink.append(record(i + 1))));
        expect(new Set(entries.map((e) => e.seq)).size).toBe(50);
        const result = await verifySink(sink);
        expect(result).toMatchObject({ ok: true, count: 50, head: { seq: 50 } });
      }),
    );

    it(
      'read pages in seq order with a cursor, and filters by server and time',
      withSink(async (sink) => {
        for (let n = 1; n <= 7; n++) await sink.append(record(n));
        const first = await sink.read({ limit: 3 });
        expect(first.entries.map((e) => e.seq)).toEqual([1, 2, 3]);
        const second = await sink.read({ after: first.next, limit: 3 });
        expect(second.entries.map((e) => e.seq)).toEqual([4, 5, 6]);
        const third = await sink.read({ after: second.next, limit: 3 });
        expect(third.entries.map((e) => e.seq)).toEqual([7]);
        expect(await sink.read({ after: third.next })).toEqual({ entries: [], next: 7 });
        expect((await sink.read({ server: 'web-1' })).entries.map((e) => e.seq)).toEqual([1, 3, 5, 7]);
        const since = new Date(Date.parse(record(5).at));
        expect((await sink.read({ since })).entries.map((e) => e.seq)).toEqual([5, 6, 7]);
        expect((await sink.read({ since, server: 'db-1', limit: 1 })).entries.map((e) => e.seq)).toEqual([6]);
        const all: number[] = [];
        for await (const e of readAll(sink, 2)) all.push(e.seq);
        expect(all).toEqual([1, 2, 3, 4, 5, 6, 7]);
      }),
    );

    it(
      'prune removes only a prefix, keeps a checkpoint, and the kept chain still verifies and grows',
      withSink(async (sink) => {
        // Entry 4 carries an old timestamp (a skewed clock): pruning stops at entry 3, the first young one,
        // rather than punching a hole in the chain.
        for (let n = 1; n <= 5; n++) await sink.append(record(n === 4 ? 0 : n * 1000));
        const cut = new Date(Date.parse(record(2500).at));
        const { removed, checkpoint } = await sink.prune(cut);
        expect(removed).toBe(2);
        expect(checkpoint.seq).toBe(2);
        expect(await sink.checkpoint()).toEqual(checkpoint);
        expect((await sink.read()).entries.map((e) => e.seq)).toEqual([3, 4, 5]);
        expect(await verifySink(sink)).toMatchObject({ ok: true, count: 3, head: { seq: 5 } });
        // Without the checkpoint the kept chain does not verify from GENESIS: the cut is visible.
        expect(await verifyChain(readAll(sink))).toMatchObject({ ok: false, problem: { kind: 'removed', seq: 1 } });
        const next = await sink.append(record(6000));
        expect(next.seq).toBe(6);
        expect(await verifySink(sink)).toMatchObject({ ok: true, count: 4, head: { seq: 6 } });
        expect(await sink.prune(new Date(0))).toEqual({ removed: 0, checkpoint });
      }),
    );

    it(
      'a retention of a year keeps what is younger',
      withSink(async (sink) => {
        const now = new Date('2027-06-01T00:00:00Z');
        await sink.append(record(0, { at: '2026-05-01T00:00:00.000Z' }));
        await sink.append(record(0, { at: '2026-07-01T00:00:00.000Z' }));
        expect((await sink.prune(retentionCutoff(now))).removed).toBe(1);
        expect((await sink.read()).entries.map((e) => e.at)).toEqual(['2026-07-01T00:00:00.000Z']);
      }),
    );
  });
}
