import { describe, expect, it } from 'vitest';
import { verifySink } from '../../../../src/audit/index.js';
import type { GrantRecord, NewApproval } from '../../../../src/jobs/store/contract.js';
import { describeAuditSinkContract } from '../../../audit/sink-contract.js';
import { record } from '../../../audit/records.js';
import { A, B, C, T0, type MakeWorld } from './world.js';

const MIN = 60_000;

function approval(n: number, over: Partial<NewApproval> = {}): NewApproval {
  return {
    id: `apr_${n}`,
    fingerprint: `fp-${n}`,
    request: { tool: 'remote-bash', server: 'web-1', command: `rm -f x${n}`, items: [{ text: `rm -f x${n}` }] },
    requested_by: 'token ops, client claude-code 2.1',
    requested_at: T0 + n,
    expires_at: T0 + n + 10 * MIN,
    ...over,
  };
}

function grant(id: string, over: Partial<GrantRecord> = {}): GrantRecord {
  return {
    id,
    server: 'web-1',
    pattern: 'systemctl restart *',
    granted_by: 'cli:alice@laptop',
    granted_at: T0,
    expires_at: T0 + 30 * MIN,
    approval_id: null,
    revoked_at: null,
    ...over,
  };
}

export function safetyContract(world: MakeWorld): void {
  describe('approvals', () => {
    it('a request is found again by its fingerprint, from another instance, until it expires', async () => {
      const w = await world();
      const a = (await w.open(A)).safety;
      const b = (await w.open(B)).safety;
      const made = await a.createApproval(approval(1));
      expect(made).toMatchObject({ id: 'apr_1', status: 'pending', decided_by: null, used_at: null });
      expect(await b.getApproval('apr_1')).toEqual(made);
      expect(await b.findApproval('fp-1', T0 + 5 * MIN)).toEqual(made);
      expect(await b.findApproval('fp-1', T0 + 11 * MIN)).toBeUndefined();
      expect(await b.findApproval('fp-2', T0)).toBeUndefined();
      // The newest request with that fingerprint wins.
      await a.createApproval(approval(2, { fingerprint: 'fp-1' }));
      expect((await b.findApproval('fp-1', T0 + 5 * MIN))?.id).toBe('apr_2');
      expect(await b.getApproval('nope')).toBeUndefined();
    });

    it('a decision takes once, before the request expires, and stores its grants in the same write', async () => {
      const w = await world();
      const a = (await w.open(A)).safety;
      const b = (await w.open(B)).safety;
      await a.createApproval(approval(1));
      await a.createApproval(approval(2));
      const g = grant('grant_1', { approval_id: 'apr_1' });
      const approved = await b.decideApproval('apr_1', {
        status: 'approved',
        by: 'cli:alice@laptop',
        now: T0 + MIN,
        expires_at: T0 + 11 * MIN,
        grants: [g],
      });
      expect(approved).toMatchObject({ status: 'approved', decided_by: 'cli:alice@laptop', expires_at: T0 + 11 * MIN });
      expect(await a.activeGrants(T0 + 2 * MIN, 'web-1')).toEqual([g]);
      // A second decision does not take: the record says what the first one was.
      const again = await a.decideApproval('apr_1', {
        status: 'denied',
        by: 'cli:bob@laptop',
        now: T0 + 2 * MIN,
        expires_at: T0 + 12 * MIN,
        grants: [],
      });
      expect(again).toMatchObject({ status: 'approved', decided_by: 'cli:alice@laptop' });
      // Too late: an expired request stays pending (and is no longer found).
      const late = await a.decideApproval('apr_2', {
        status: 'approved',
        by: 'cli:alice@laptop',
        now: T0 + 20 * MIN,
        expires_at: T0 + 30 * MIN,
        grants: [grant('grant_2')],
      });
      expect(late).toMatchObject({ status: 'pending' });
      expect((await a.activeGrants(T0 + 20 * MIN)).map((g) => g.id)).toEqual(['grant_1']);
      expect(await a.decideApproval('nope', { status: 'denied', by: 'x', now: T0, expires_at: T0, grants: [] })).toBe(
        undefined,
      );
    });

    it('two people deciding at once: exactly one decision takes', async () => {
      const w = await world();
      const stores = [await w.open(A), await w.open(B), await w.open(C)];
      await stores[0]!.safety.createApproval(approval(1));
      const results = await Promise.all(
        stores.map((s, i) =>
          s.safety.decideApproval('apr_1', {
            status: i === 1 ? 'denied' : 'approved',
            by: `person-${i}`,
            now: T0 + MIN,
            expires_at: T0 + 11 * MIN,
            grants: [grant(`grant_${i}`)],
          }),
        ),
      );
      const winners = new Set(results.map((r) => r?.decided_by));
      expect(winners.size).toBe(1);
      const final = await stores[0]!.safety.getApproval('apr_1');
      expect(final?.decided_by).toBe([...winners][0]);
      // Only the winner's grants were stored.
      const grants = await stores[0]!.safety.activeGrants(T0 + 2 * MIN);
      expect(grants.length).toBe(final?.status === 'approved' ? 1 : 0);
    });

    it('an approved request is used once, by one of several callers, and only within its window', async () => {
      const w = await world();
      const a = (await w.open(A)).safety;
      const b = (await w.open(B)).safety;
      await a.createApproval(approval(1));
      expect(await a.useApproval('apr_1', T0 + MIN)).toBe(false); // still pending
      await a.decideApproval('apr_1', {
        status: 'approved',
        by: 'p',
        now: T0 + MIN,
        expires_at: T0 + 11 * MIN,
        grants: [],
      });
      const used = await Promise.all([a, b, a, b].map((s) => s.useApproval('apr_1', T0 + 2 * MIN)));
      expect(used.filter(Boolean)).toHaveLength(1);
      expect(await a.getApproval('apr_1')).toMatchObject({ status: 'used', used_at: T0 + 2 * MIN });
      expect(await a.findApproval('fp-1', T0 + 3 * MIN)).toBeUndefined();
      await a.createApproval(approval(2));
      await a.decideApproval('apr_2', { status: 'approved', by: 'p', now: T0, expires_at: T0 + MIN, grants: [] });
      expect(await b.useApproval('apr_2', T0 + 2 * MIN)).toBe(false); // its window passed
    });

    it('lists newest first, by status, and only live ones', async () => {
      const w = await world();
      const a = (await w.open(A)).safety;
      for (let n = 1; n <= 4; n++) await a.createApproval(approval(n));
      await a.decideApproval('apr_2', { status: 'denied', by: 'p', now: T0 + 5, expires_at: T0 + MIN, grants: [] });
      expect((await a.listApprovals({ limit: 10 })).map((x) => x.id)).toEqual(['apr_4', 'apr_3', 'apr_2', 'apr_1']);
      expect((await a.listApprovals({ status: 'pending', limit: 2 })).map((x) => x.id)).toEqual(['apr_4', 'apr_3']);
      expect((await a.listApprovals({ live: T0 + 2 * MIN, limit: 10 })).map((x) => x.id)).toEqual([
        'apr_4',
        'apr_3',
        'apr_1',
      ]);
    });
  });

  describe('grants', () => {
    it('are in force between their start and expiry until revoked, for their server, across instances', async () => {
      const w = await world();
      const a = (await w.open(A)).safety;
      const b = (await w.open(B)).safety;
      await a.addGrant(grant('g1'));
      await a.addGrant(grant('g2', { server: 'db-1', granted_at: T0 + 1 }));
      await a.addGrant(grant('g3', { expires_at: T0 + MIN }));
      expect((await b.activeGrants(T0 + 10, 'web-1')).map((g) => g.id).sort()).toEqual(['g1', 'g3']);
      expect((await b.activeGrants(T0 + 2 * MIN)).map((g) => g.id)).toEqual(['g2', 'g1']);
      expect(await b.activeGrants(T0 - 1)).toEqual([]);
      expect(await b.revokeGrant('g1', T0 + 3 * MIN)).toMatchObject({ id: 'g1', revoked_at: T0 + 3 * MIN });
      expect(await a.revokeGrant('g1', T0 + 4 * MIN)).toBeUndefined();
      expect(await a.revokeGrant('g3', T0 + 4 * MIN)).toBeUndefined(); // expired already
      expect((await a.activeGrants(T0 + 5 * MIN)).map((g) => g.id)).toEqual(['g2']);
    });

    it('prune deletes approvals and grants that expired before the cut-off', async () => {
      const w = await world();
      const a = (await w.open(A)).safety;
      await a.createApproval(approval(1)); // expires T0+1+10min
      await a.createApproval(approval(2, { expires_at: T0 + 60 * MIN }));
      await a.addGrant(grant('g1')); // expires T0+30min
      await a.addGrant(grant('g2', { expires_at: T0 + 90 * MIN }));
      expect(await a.prune(T0 + 40 * MIN)).toBe(2);
      expect((await a.listApprovals({ limit: 10 })).map((x) => x.id)).toEqual(['apr_2']);
      expect((await a.activeGrants(T0)).map((g) => g.id)).toEqual(['g2']);
    });
  });

  describe('audit log', () => {
    describeAuditSinkContract('SQL store', async () => {
      const w = await world();
      return { sink: (await w.open(A)).audit, cleanup: async () => {} };
    });

    it('several instances appending at once never fork the chain', async () => {
      const w = await world();
      const sinks = [(await w.open(A)).audit, (await w.open(B)).audit, (await w.open(C)).audit];
      const entries = await Promise.all(
        Array.from({ length: 60 }, (_, i) => sinks[i % 3]!.append(record(i + 1, { who: { instance: `i${i % 3}` } }))),
      );
      expect(new Set(entries.map((e) => e.seq)).size).toBe(60);
      expect(await verifySink(sinks[1]!)).toMatchObject({ ok: true, count: 60, head: { seq: 60 } });
      expect(await sinks[2]!.head()).toEqual(await sinks[0]!.head());
    });

    it("a job's outcome is appended once, however many instances record its end", async () => {
      const w = await world();
      const sinks = [(await w.open(A)).audit, (await w.open(B)).audit];
      await sinks[0]!.append(record(1, { job_id: 'job-7' }));
      const outcome = { ...record(2, { event: 'outcome', outcome: 'completed (exit 0)' }), job_id: 'job-7' };
      const results = await Promise.all([0, 1, 0, 1].map((i) => sinks[i]!.appendOutcome(outcome)));
      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
      const all = (await sinks[1]!.read()).entries;
      expect(all.filter((e) => e.event === 'outcome')).toHaveLength(1);
      expect(await verifySink(sinks[0]!)).toMatchObject({ ok: true, count: 2 });
      // Another job's outcome is its own.
      expect(await sinks[1]!.appendOutcome({ ...outcome, job_id: 'job-8' })).toMatchObject({ seq: 3 });
    });

    it('lists the jobs of recent calls that have no outcome yet', async () => {
      const w = await world();
      const sink = (await w.open(A)).audit;
      await sink.append(record(1, { job_id: 'job-1' }));
      await sink.append(record(2, { job_id: 'job-2' }));
      await sink.append(record(3, { job_id: undefined }));
      await sink.append(record(4, { job_id: 'job-4' }));
      await sink.appendOutcome({ ...record(5, { event: 'outcome' }), job_id: 'job-2' });
      expect(await sink.jobsWithoutOutcome(new Date(0), 10)).toEqual(['job-1', 'job-4']);
      expect(await sink.jobsWithoutOutcome(new Date(Date.parse(record(2).at)), 10)).toEqual(['job-4']);
      expect(await sink.jobsWithoutOutcome(new Date(0), 1)).toEqual(['job-1']);
    });

    it('the chain survives closing and opening the store again', async () => {
      const w = await world();
      const first = await w.open(A);
      for (let n = 1; n <= 3; n++) await first.audit.append(record(n));
      const head = await first.audit.head();
      await first.close();
      const again = await w.open(B);
      expect(await again.audit.head()).toEqual(head);
      await again.audit.append(record(4));
      expect(await verifySink(again.audit)).toMatchObject({ ok: true, count: 4, head: { seq: 4 } });
    });
  });
}
