// The dashboard's own parts behind the new pages, alone: the reachability prober (a page never waits on a
// connection), the audit page's paging and verification, and how a dashboard person is named.
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/index.js';
import { InMemoryAuditSinkForTests } from '../../src/audit/memory-sink.js';
import { auditSource } from '../../src/dashboard/audit-source.js';
import { personOf } from '../../src/dashboard/dashboard.js';
import { ReachabilityProber } from '../../src/dashboard/reachability.js';
import { waitFor } from '../helpers/wait.js';

describe('ReachabilityProber', () => {
  it('answers from its last probe at once, probing in the background; closing stops it', async () => {
    const calls: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const prober = new ReachabilityProber({
      list: async () => ['a', 'b'],
      check: async (name) => {
        calls.push(name);
        if (name === 'b') throw new Error('connect ECONNREFUSED 127.0.0.1:22');
        await gate;
      },
      intervalMs: 20,
    });
    // A check that never finishes does not hold the page: the answer is there at once.
    expect(prober.state('a')).toEqual({ state: 'unknown' });
    await waitFor(() => prober.state('b').state === 'unreachable', 'b unreachable');
    expect(prober.state('b').error).toContain('ECONNREFUSED');
    expect(prober.state('a').state).toBe('unknown');
    release();
    await waitFor(() => prober.state('a').state === 'reachable', 'a reachable');
    expect(prober.state('a').checked_at).toMatch(/^\d{4}-/);
    await waitFor(() => calls.filter((c) => c === 'a').length >= 3, 'rounds every interval');
    await prober.close();
    const after = calls.length;
    expect(prober.state('a').state).toBe('reachable');
    await new Promise((r) => setImmediate(r));
    expect(calls.length).toBe(after);
  });

  it('stops probing once no page asked for idleMs, and starts again with the next ask', async () => {
    let now = 0;
    let rounds = 0;
    const prober = new ReachabilityProber({
      list: async () => ['a'],
      check: async () => {
        rounds++;
      },
      intervalMs: 5,
      idleMs: 1000,
      now: () => now,
    });
    prober.state('a');
    await waitFor(() => rounds >= 2, 'two rounds');
    now = 5000;
    const stopped = rounds;
    await waitFor(async () => {
      const before = rounds;
      await new Promise((r) => setTimeout(r, 30));
      return rounds === before;
    }, 'the loop to stop');
    expect(rounds - stopped).toBeLessThanOrEqual(1);
    prober.state('a');
    await waitFor(() => rounds > stopped + 1, 'probing again after an ask');
    await prober.close();
  });

  it('forgets servers no longer registered', async () => {
    let names = ['a', 'b'];
    const prober = new ReachabilityProber({ list: async () => names, check: async () => undefined, intervalMs: 5 });
    prober.state('a');
    await waitFor(() => prober.state('b').state === 'reachable', 'b probed');
    names = ['a'];
    await waitFor(() => prober.state('b').state === 'unknown', 'b forgotten');
    await prober.close();
  });
});

describe('auditSource', () => {
  const logWith = async (n: number) => {
    const sink = new InMemoryAuditSinkForTests();
    const audit = new AuditLog({ sink, instance: 'inst-1' });
    for (let i = 0; i < n; i++) await audit.append({ event: 'tool-call', tool: 'remote-bash', command: `echo ${i}` });
    return { sink, audit };
  };

  it('pages newest first by seq with a cursor, to the start of the chain', async () => {
    const { audit } = await logWith(250);
    const src = auditSource(audit);
    const first = await src.recent({ limit: 100 });
    expect(first.entries.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 250 - i));
    expect(first.older).toBe(151);
    const second = await src.recent({ before: first.older!, limit: 100 });
    expect(second.entries[0]?.seq).toBe(150);
    expect(second.older).toBe(51);
    const last = await src.recent({ before: second.older!, limit: 100 });
    expect(last.entries.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 50 - i));
    expect(last.older).toBeNull();
    expect(await auditSource((await logWith(0)).audit).recent({ limit: 100 })).toEqual({ entries: [], older: null });
  });

  it('verifies the chain, keeps the answer a minute, and walks it again when asked', async () => {
    const { sink, audit } = await logWith(5);
    let now = 1_000_000;
    const src = auditSource(audit, () => now);
    const ok = await src.verify({ fresh: false });
    expect(ok).toMatchObject({ ok: true, count: 5, head_seq: 5 });
    sink.tamper((entries) => {
      entries[2] = { ...entries[2]!, command: 'echo edited' };
    });
    expect((await src.verify({ fresh: false })).ok).toBe(true);
    const fresh = await src.verify({ fresh: true });
    expect(fresh.ok).toBe(false);
    expect(fresh.problem).toContain('entry 3 was edited');
    now += 30_000;
    expect((await src.verify({ fresh: false })).ok).toBe(false);
  });
});

describe('personOf', () => {
  it('names the person as typed (cleaned) and where from, like the CLI names its user', () => {
    expect(personOf('alice', '127.0.0.1')).toBe('dashboard:alice@127.0.0.1');
    expect(personOf('  Bob Smith <x> ', '::ffff:10.0.0.2')).toBe('dashboard:Bob_Smith_x_@10.0.0.2');
    expect(personOf('', undefined)).toBe('dashboard:anonymous@unknown');
    expect(personOf('a'.repeat(200), '::1')).toBe(`dashboard:${'a'.repeat(64)}@::1`);
  });
});
