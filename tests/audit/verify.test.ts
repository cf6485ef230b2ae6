import { beforeEach, describe, expect, it } from 'vitest';
import { entryHash, readAll, verifyChain, verifySink, type AuditEntry } from '../../src/audit/index.js';
import { InMemoryAuditSinkForTests } from '../../src/audit/memory-sink.js';
import { record } from './records.js';

let sink: InMemoryAuditSinkForTests;
beforeEach(async () => {
  sink = new InMemoryAuditSinkForTests();
  for (let n = 1; n <= 6; n++) await sink.append(record(n));
});

/** Re-hashes entries from index `from` on, as someone covering their tracks with database access would. */
function rehashFrom(entries: AuditEntry[], from: number): AuditEntry[] {
  const out = entries.slice(0, from);
  for (const e of entries.slice(from)) {
    const { hash: _h, prev_hash: _p, ...body } = e;
    const prev = out.at(-1)?.hash ?? '0'.repeat(64);
    out.push({ ...body, prev_hash: prev, hash: entryHash(prev, body) });
  }
  return out;
}

describe('the verifier names the first entry that was tampered with', () => {
  it('an intact chain verifies', async () => {
    expect(await verifySink(sink)).toMatchObject({ ok: true, count: 6, head: { seq: 6 } });
  });

  it('an edited entry', async () => {
    sink.tamper((es) => {
      es[2] = { ...es[2]!, command: 'echo nothing to see' };
    });
    expect(await verifySink(sink)).toEqual({
      ok: false,
      count: 2,
      problem: {
        kind: 'edited',
        seq: 3,
        position: 2,
        message: 'entry 3 was edited: its content no longer matches its hash',
      },
    });
  });

  it('an edited entry whose own hash was recomputed', async () => {
    sink.tamper((es) => {
      const { hash: _h, prev_hash, ...body } = es[2]!;
      const forged = { ...body, decision: 'deny' as const };
      es[2] = { ...forged, prev_hash, hash: entryHash(prev_hash, forged) };
    });
    const result = await verifySink(sink);
    expect(result).toMatchObject({ ok: false, problem: { kind: 'edited', seq: 3 } });
  });

  it('a removed entry, in the middle or at the start', async () => {
    sink.tamper((es) => es.filter((e) => e.seq !== 4));
    expect(await verifySink(sink)).toMatchObject({
      ok: false,
      problem: { kind: 'removed', seq: 4, message: 'entry 4 is missing: the chain jumps from entry 3 to entry 5' },
    });
    const again = new InMemoryAuditSinkForTests();
    for (let n = 1; n <= 3; n++) await again.append(record(n));
    again.tamper((es) => es.slice(1));
    expect(await verifySink(again)).toMatchObject({ ok: false, problem: { kind: 'removed', seq: 1 } });
  });

  it('several removed entries are named as a range', async () => {
    sink.tamper((es) => es.filter((e) => e.seq < 2 || e.seq > 4));
    expect(await verifySink(sink)).toMatchObject({
      problem: {
        kind: 'removed',
        seq: 2,
        message: 'entries 2 to 4 are missing: the chain jumps from entry 1 to entry 5',
      },
    });
  });

  it('a removed entry with the rest renumbered, each re-hashed', async () => {
    sink.tamper((es) => es.filter((e) => e.seq !== 4).map((e) => (e.seq > 4 ? reseal({ ...e, seq: e.seq - 1 }) : e)));
    expect(await verifySink(sink)).toMatchObject({
      ok: false,
      problem: {
        kind: 'edited',
        seq: 3,
        message:
          'entry 4 does not chain to entry 3: entry 3 was replaced, or entries before 4 were removed and the rest renumbered',
      },
    });
  });

  it('reordered entries', async () => {
    sink.tamper((es) => {
      [es[2], es[3]] = [es[3]!, es[2]!];
    });
    expect(await verifySink(sink)).toMatchObject({
      ok: false,
      problem: {
        kind: 'reordered',
        seq: 3,
        position: 3,
        message: 'entry 3 is out of order: it should come before entry 4 but is at position 3',
      },
    });
  });

  it('a copied entry', async () => {
    sink.tamper((es) => [...es, es[1]!]);
    expect(await verifyChain(await all())).toMatchObject({
      ok: false,
      problem: { kind: 'reordered', seq: 2, position: 6 },
    });
  });

  it('a row that is not an entry at all', async () => {
    const rows: unknown[] = await all();
    rows[4] = { ...(rows[4] as object), hash: 'not-a-hash' };
    expect(await verifyChain(rows)).toMatchObject({ ok: false, problem: { kind: 'malformed', seq: 5, position: 4 } });
  });

  it('a rewritten tail, or a cut end, passes the chain alone but not an anchor recorded earlier', async () => {
    const anchor = await sink.head();
    sink.tamper((es) =>
      rehashFrom(
        es.map((e) => (e.seq === 5 ? { ...e, outcome: 'succeeded' } : e)),
        4,
      ),
    );
    expect(await verifySink(sink)).toMatchObject({ ok: true });
    expect(await verifySink(sink, { anchor })).toMatchObject({ ok: false, problem: { kind: 'rewritten', seq: 6 } });

    const cut = new InMemoryAuditSinkForTests();
    for (let n = 1; n <= 4; n++) await cut.append(record(n));
    const cutAnchor = await cut.head();
    cut.tamper((es) => es.slice(0, 3));
    expect(await verifySink(cut)).toMatchObject({ ok: true });
    expect(await verifySink(cut, { anchor: cutAnchor })).toMatchObject({
      ok: false,
      problem: { kind: 'removed', seq: 4 },
    });
  });

  it('editing one line of a JSON-lines export is named too', async () => {
    const lines = (await all()).map((e) => JSON.stringify(e));
    lines[1] = lines[1]!.replace('"decision":"allow"', '"decision":"deny"');
    const result = await verifyChain(lines.map((l) => JSON.parse(l) as unknown));
    expect(result).toMatchObject({ ok: false, problem: { kind: 'edited', seq: 2, position: 1 } });
  });

  it('the hash does not depend on key order (stores keep JSON as they like)', async () => {
    const reversed = (await all()).map((e) => Object.fromEntries(Object.entries(e).reverse()));
    expect(await verifyChain(reversed)).toMatchObject({ ok: true, count: 6 });
  });
});

async function all(): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of readAll(sink)) out.push(e);
  return out;
}

/** Recomputes an entry's own hash over its (changed) content, leaving its link to the entry before as it was. */
function reseal(e: AuditEntry): AuditEntry {
  const { hash: _h, prev_hash, ...body } = e;
  return { ...body, prev_hash, hash: entryHash(prev_hash, body) };
}
