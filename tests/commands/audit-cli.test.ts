import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/index.js';
import { InMemoryAuditSinkForTests } from '../../src/audit/memory-sink.js';
import { auditExport, auditTail, auditVerify } from '../../src/commands/audit.js';
import { CliOutput } from '../../src/commands/io.js';
import type { CliContext } from '../../src/commands/table.js';
import { waitFor } from '../helpers/wait.js';

/** The audit commands over an in-memory sink (the SQL stores are covered by the contract suite and the e2e tests). */
function setup() {
  const sink = new InMemoryAuditSinkForTests();
  let clock = Date.parse('2026-03-01T12:00:00Z');
  const audit = new AuditLog({ sink, instance: 'inst-1', now: () => new Date((clock += 60_000)) });
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  const io = new CliOutput(out, err);
  const ctx = { audit, io } as unknown as CliContext;
  const add = (n: number, server = 'web-1') =>
    audit.append({
      event: 'tool-call',
      tool: 'remote-bash',
      server,
      command: `echo ${n}`,
      decision: 'allow',
      who: { token: 'ops' },
    });
  return { sink, audit, io, ctx, add, out: () => stdout, err: () => stderr };
}

describe('deckhand audit', () => {
  it('tail prints the last entries, filtered by server and time, one line each', async () => {
    const t = setup();
    for (let n = 1; n <= 30; n++) await t.add(n, n % 3 ? 'web-1' : 'db-1');
    expect(await auditTail(['-n', '3', '--server', 'db-1'], t.ctx)).toBe(0);
    const lines = t.out().trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^#30 .* tool-call +token ops +db-1 +remote-bash +allow +echo 30$/);
    expect(lines.map((l) => /echo (\d+)/.exec(l)?.[1])).toEqual(['24', '27', '30']);
  });

  it('tail -f goes on printing what is appended, until the reader leaves', async () => {
    const t = setup();
    await t.add(1);
    const following = auditTail(['-f'], t.ctx, { pollMs: 10 });
    await waitFor(() => t.out().includes('echo 1'), 'the first entry');
    await t.add(2);
    await t.add(3, 'db-1');
    await waitFor(() => t.out().includes('echo 3'), 'the entries appended later');
    t.io.closed = true;
    expect(await following).toBe(0);
    expect(t.out().trim().split('\n')).toHaveLength(3);
  });

  it('export writes JSON lines that verify on their own; verify prints the head and names a tampered entry', async () => {
    const t = setup();
    for (let n = 1; n <= 4; n++) await t.add(n);
    expect(await auditExport([], t.ctx)).toBe(0);
    const exported = t
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number });
    expect(exported.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(await auditVerify([], t.ctx)).toBe(0);
    const head = /head (4:[0-9a-f]{64})/.exec(t.out())![1]!;
    expect(await auditVerify(['--anchor', head], t.ctx)).toBe(0);
    t.sink.tamper((es) => {
      es[1] = { ...es[1]!, command: 'echo nothing' };
    });
    expect(await auditVerify([], t.ctx)).toBe(1);
    expect(t.err()).toContain('entry 2 was edited');
    // Cut off the end: the store's head still says 4.
    t.sink.tamper((es) => es.slice(0, 1));
    expect(await auditVerify(['--anchor', head], t.ctx)).toBe(1);
    expect(t.err()).toMatch(/before the anchored entry 4|cut off its end/);
  });
});
