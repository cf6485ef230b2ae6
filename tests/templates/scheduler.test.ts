import { afterEach, describe, expect, it } from 'vitest';
import { jitterMs } from '../../src/templates/schedule/jitter.js';
import { DAY, HOUR, iso, MIN, SchedulerFixture, slotOf, START } from './fixture.js';

// The schedule loop (src/templates/scheduler.ts) against a real SQLite store and a real TemplateService whose runs
// are real remote-bash jobs (queued: the engine is not started), driven by an injected clock and direct tick() calls.
describe('the schedule loop', () => {
  let f: SchedulerFixture | undefined;
  afterEach(async () => {
    if (f) expect(f.errors).toEqual([]);
    await f?.close();
    f = undefined;
  });
  const open = async () => (f = await SchedulerFixture.start());

  it('every: one run per slot however often it ticks, carrying the slot key, the template version and trigger', async () => {
    const f = await open();
    const t = await f.save({ name: 'tick', schedule: { every: '1m', concurrency_policy: 'Allow' } });
    await f.tickAt(START);
    expect(await f.runs('tick')).toEqual([]);
    // Ticking every 7 s for five minutes: each of the five slots once.
    await f.run(START + 5 * MIN, 7_000);
    await f.tickAt(START + 5 * MIN + 1);
    const runs = await f.runs('tick');
    expect(runs.map(slotOf)).toEqual([1, 2, 3, 4, 5].map((i) => iso(START + i * MIN)));
    expect(new Set(runs.map((r) => r.unique_key)).size).toBe(5);
    for (const r of runs) {
      // A run over `servers` is a batch: its parent (running while its children wait) carries the template.
      expect(r).toMatchObject({
        type: 'batch',
        status: 'running',
        template: { id: t.id, version: 1, trigger: 'schedule' },
      });
      expect(r.params.command).toBe('echo hello');
      const kids = await f.app.kernel.jobs.children(r.id);
      expect(kids.map((k) => [k.server, k.status, k.params.command])).toEqual([['box', 'queued', 'echo hello']]);
    }
    const stored = await f.service.get('tick');
    expect(stored.schedule_state.cursor).toBe(START + 5 * MIN);
    expect(stored.schedule_state.next_due_at).toBe(START + 6 * MIN);
    expect(await f.events('tick')).toEqual([]);
  });

  it('cron in a time zone: fires at the zone wall-clock slots, once each', async () => {
    const f = await open();
    // 09:30 in Berlin is 08:30 UTC in March (before the changeover on the 28th).
    await f.save({ name: 'cron', schedule: { cron: '30 9 * * *', tz: 'Europe/Berlin', concurrency_policy: 'Allow' } });
    await f.run(START + 3 * DAY, 10 * MIN);
    const runs = await f.runs('cron');
    expect(runs.map(slotOf)).toEqual([0, 1, 2].map((d) => iso(START + d * DAY + 8 * HOUR + 30 * MIN)));
  });

  it('at: fires its one slot once, then the schedule is finished', async () => {
    const f = await open();
    await f.save({ name: 'once', schedule: { at: '2027-03-01T01:30:00Z' } });
    await f.run(START + 89 * MIN, 5 * MIN);
    expect(await f.runs('once')).toEqual([]);
    await f.run(START + 3 * HOUR, 30_000);
    expect((await f.runs('once')).map(slotOf)).toEqual([iso(START + 90 * MIN)]);
    expect((await f.service.get('once')).schedule_state.next_due_at).toBeNull();
    // Nothing more is due.
    expect(await f.app.kernel.stores.templates.due(START + 10 * DAY, 10)).toEqual([]);
  });

  it('Forbid skips a slot while a run is active (a skipped event) and fires again once it ended', async () => {
    const f = await open();
    await f.save({ name: 'forbid', schedule: { every: '1m' } });
    await f.tickAt(START + MIN);
    const [first] = await f.runs('forbid');
    expect(first!.status).toBe('running');
    await f.tickAt(START + 2 * MIN);
    await f.tickAt(START + 3 * MIN);
    expect(await f.runs('forbid')).toHaveLength(1);
    const events = await f.events('forbid');
    expect(events.map((e) => [e.kind, e.slot, e.count])).toEqual([
      ['skipped', START + 3 * MIN, 1],
      ['skipped', START + 2 * MIN, 1],
    ]);
    expect(events[0]!.reason).toMatch(/still active.*Forbid/);
    await f.app.kernel.jobs.cancel(first!.id);
    await f.tickAt(START + 4 * MIN);
    expect((await f.runs('forbid')).map(slotOf)).toEqual([iso(START + MIN), iso(START + 4 * MIN)]);
  });

  it('Replace cancels the active run and starts the new one', async () => {
    const f = await open();
    await f.save({ name: 'replace', schedule: { every: '1m', concurrency_policy: 'Replace' } });
    await f.tickAt(START + MIN);
    await f.tickAt(START + 2 * MIN);
    const runs = await f.runs('replace');
    expect(runs.map((r) => [slotOf(r), r.status])).toEqual([
      [iso(START + MIN), 'cancelled'],
      [iso(START + 2 * MIN), 'running'],
    ]);
    // The replaced batch's child was cancelled with it.
    expect((await f.app.kernel.jobs.children(runs[0]!.id)).map((k) => k.status)).toEqual(['cancelled']);
    expect(await f.events('replace')).toEqual([]);
  });

  it('Allow starts alongside the active run', async () => {
    const f = await open();
    const t = await f.save({ name: 'allow', schedule: { every: '1m', concurrency_policy: 'Allow' } });
    await f.run(START + 3 * MIN, MIN);
    expect((await f.runs('allow')).map((r) => r.status)).toEqual(['running', 'running', 'running']);
    expect(await f.app.kernel.stores.templates.activeRuns(t.id)).toHaveLength(3);
  });

  it('starting_deadline_s: a slot noticed later than the deadline is missed, not started', async () => {
    const f = await open();
    await f.save({ name: 'deadline', schedule: { every: '10m', starting_deadline_s: 30 } });
    await f.tickAt(START + 10 * MIN + 45_000);
    expect(await f.runs('deadline')).toEqual([]);
    const [ev] = await f.events('deadline');
    expect(ev).toMatchObject({ kind: 'missed', slot: START + 10 * MIN, count: 1 });
    expect(ev!.reason).toMatch(/starting_deadline_s/);
    // The next slot, noticed in time, starts.
    await f.tickAt(START + 20 * MIN + 20_000);
    expect((await f.runs('deadline')).map(slotOf)).toEqual([iso(START + 20 * MIN)]);
  });

  describe('catch-up after three days down', () => {
    const DOWN = START + 3 * DAY + 30_000;
    const SLOTS = 3 * 24 * 60; // every minute for three days

    it('latest: one run for the most recent slot; the others are one missed entry counting them (> 100)', async () => {
      const f = await open();
      await f.save({ name: 'latest', schedule: { every: '1m' } });
      await f.tickAt(DOWN);
      expect((await f.runs('latest')).map(slotOf)).toEqual([iso(START + 3 * DAY)]);
      const events = await f.events('latest');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ kind: 'missed', slot: START + 3 * DAY - MIN, count: SLOTS - 1 });
      expect(events[0]!.reason).toContain(`${SLOTS - 1} slots from ${iso(START + MIN)}`);
      // Back on time afterwards.
      await f.tickAt(START + 3 * DAY + MIN);
      expect(await f.runs('latest')).toHaveLength(1); // Forbid: the catch-up run is still queued
      expect((await f.events('latest'))[0]).toMatchObject({ kind: 'skipped', slot: START + 3 * DAY + MIN });
    });

    it('none: no run; every slot missed', async () => {
      const f = await open();
      await f.save({ name: 'none', schedule: { every: '5m', catch_up: 'none' } });
      // The last slot is 2 min old: later than the loop's grace of a minute, so not on time.
      await f.tickAt(START + 3 * DAY + 2 * MIN);
      expect(await f.runs('none')).toEqual([]);
      const events = await f.events('none');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ kind: 'missed', slot: START + 3 * DAY, count: SLOTS / 5 });
      // The next slot, on time, runs.
      await f.tickAt(START + 3 * DAY + 5 * MIN + 1000);
      expect((await f.runs('none')).map(slotOf)).toEqual([iso(START + 3 * DAY + 5 * MIN)]);
    });

    it('all with a cap: the most recent catch_up_limit slots run, the rest are counted as missed', async () => {
      const f = await open();
      await f.save({
        name: 'all',
        schedule: { every: '1m', catch_up: 'all', catch_up_limit: 5, concurrency_policy: 'Allow' },
      });
      await f.tickAt(DOWN);
      expect((await f.runs('all')).map(slotOf)).toEqual([4, 3, 2, 1, 0].map((i) => iso(START + 3 * DAY - i * MIN)));
      const events = await f.events('all');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ kind: 'missed', count: SLOTS - 5 });
    });

    it('fewer than 100 missed slots are listed one by one', async () => {
      const f = await open();
      await f.save({ name: 'hourly', schedule: { cron: '0 * * * *' } });
      await f.tickAt(DOWN);
      expect((await f.runs('hourly')).map(slotOf)).toEqual([iso(START + 3 * DAY)]);
      const events = await f.events('hourly');
      expect(events).toHaveLength(71);
      expect(events.every((e) => e.kind === 'missed' && e.count === 1)).toBe(true);
      expect(events.map((e) => e.slot)).toEqual(Array.from({ length: 71 }, (_, i) => START + 3 * DAY - (i + 1) * HOUR));
    });
  });

  it('jitter: the run waits until its slot plus a delay within jitter_s, the same the decision computes', async () => {
    const f = await open();
    const t = await f.save({ name: 'jitter', schedule: { every: '1m', jitter_s: 50, concurrency_policy: 'Allow' } });
    await f.run(START + 20 * MIN, MIN);
    const runs = await f.runs('jitter');
    expect(runs).toHaveLength(20);
    // The batch's children wait for the slot's start time.
    const notBefore = async (id: string) => (await f.app.kernel.jobs.children(id))[0]!.not_before!;
    const delays: number[] = [];
    for (const r of runs) delays.push(Date.parse(await notBefore(r.id)) - Date.parse(slotOf(r)!));
    for (const [i, d] of delays.entries()) {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(50_000);
      expect(d).toBe(jitterMs(t.id, new Date(START + (i + 1) * MIN), 50));
    }
    // Spread, not one fixed delay.
    expect(new Set(delays).size).toBeGreaterThan(10);
  });

  it('makes a run up to 5 s before its slot, waiting for it; pausing, retiming or deleting cancels such a run', async () => {
    const f = await open();
    // All saved at START: every-1m slots fall on START + n minutes.
    await f.save({ name: 'early', schedule: { every: '1m', concurrency_policy: 'Allow' } });
    await f.save({ name: 'strict', schedule: { every: '1m' } });
    await f.save({ name: 'moved', schedule: { every: '1m', concurrency_policy: 'Allow' } });
    await f.tickAt(START + MIN - 6_000);
    expect(await f.runs('early')).toEqual([]);
    await f.tickAt(START + MIN - 4_000);
    const [run] = await f.runs('early');
    expect(slotOf(run!)).toBe(iso(START + MIN));
    // Its children wait for the slot itself, not for the moment the run was made.
    expect((await f.app.kernel.jobs.children(run!.id))[0]!.not_before).toBe(iso(START + MIN));
    await f.tickAt(START + MIN);
    expect(await f.runs('early')).toHaveLength(1);

    // Forbid with a run active decides at the slot's time (the run may end before it), not ahead.
    expect(await f.runs('strict')).toHaveLength(1);
    await f.tickAt(START + 2 * MIN - 3_000);
    expect(await f.runs('strict')).toHaveLength(1);
    expect(await f.events('strict')).toEqual([]);

    // Paused before its slot came: the run made ahead does not start; the one whose slot came stays.
    const ahead = (await f.runs('early'))[1]!;
    expect(slotOf(ahead)).toBe(iso(START + 2 * MIN));
    await f.service.suspend('early', true);
    expect((await f.app.kernel.jobs.get(ahead.id))?.status).toBe('cancelled');
    expect((await f.app.kernel.jobs.get(run!.id))?.status).not.toBe('cancelled');

    // A retimed schedule and a deleted template leave no run waiting for a slot that is no longer theirs.
    const moved = (await f.runs('moved')).at(-1)!;
    expect(slotOf(moved)).toBe(iso(START + 2 * MIN));
    await f.save({ name: 'moved', schedule: { every: '2m', concurrency_policy: 'Allow' } });
    expect((await f.app.kernel.jobs.get(moved.id))?.status).toBe('cancelled');
    await f.save({ name: 'doomed', schedule: { every: '1m', concurrency_policy: 'Allow' } });
    await f.tickAt(f.clock + MIN - 2_000);
    const doomed = (await f.runs('doomed')).at(-1)!;
    const deleted = await f.service.delete('doomed');
    expect(deleted.cancelled).toEqual([doomed.id]);
    expect((await f.app.kernel.jobs.get(doomed.id))?.status).toBe('cancelled');
  });

  it('suspend stops firing; resume applies the catch-up policy to the slots that passed', async () => {
    const f = await open();
    await f.save({ name: 'pause', schedule: { every: '1m', concurrency_policy: 'Allow' } });
    await f.tickAt(START + MIN);
    f.clock = START + MIN + 5_000;
    await f.service.suspend('pause', true);
    expect((await f.service.get('pause')).schedule_state.next_due_at).toBeNull();
    await f.run(START + 10 * MIN + 5_000, MIN);
    expect(await f.runs('pause')).toHaveLength(1);
    await f.service.suspend('pause', false);
    await f.tickAt(f.clock + 1);
    // catch_up latest: the most recent slot (10m) runs, 2m..9m are missed.
    expect((await f.runs('pause')).map(slotOf)).toEqual([iso(START + MIN), iso(START + 10 * MIN)]);
    const events = await f.events('pause');
    expect(events.map((e) => e.slot)).toEqual([9, 8, 7, 6, 5, 4, 3, 2].map((i) => START + i * MIN));
    await f.run(START + 12 * MIN, MIN);
    expect(await f.runs('pause')).toHaveLength(4);
  });

  it("a disabled template's schedule does not fire; enabled again, it does", async () => {
    const f = await open();
    await f.save({ name: 'off', schedule: { every: '1m', concurrency_policy: 'Allow' } });
    await f.service.setStatus('off', 'disabled');
    await f.run(START + 5 * MIN, MIN);
    expect(await f.runs('off')).toEqual([]);
    await f.service.setStatus('off', 'enabled');
    await f.tickAt(f.clock);
    await f.run(START + 7 * MIN, MIN);
    // Enabled at 5m: the latest slot that passed while disabled is caught up at once (5m), then 6m and 7m; the
    // older ones count as missed.
    expect((await f.runs('off')).map(slotOf)).toEqual([5, 6, 7].map((i) => iso(START + i * MIN)));
    expect((await f.events('off')).map((e) => [e.kind, e.slot])).toEqual(
      [4, 3, 2, 1].map((i) => ['missed', START + i * MIN]),
    );
  });

  it('editing a template while a run is active leaves that run on its version; the next slot runs the new one', async () => {
    const f = await open();
    await f.save({ name: 'edit', command: 'echo v1', schedule: { every: '1m', concurrency_policy: 'Allow' } });
    await f.tickAt(START + MIN);
    await f.save({ name: 'edit', command: 'echo v2' });
    expect((await f.service.get('edit')).version).toBe(2);
    await f.tickAt(START + 2 * MIN);
    const [a, b] = await f.runs('edit');
    expect(a).toMatchObject({ status: 'running', template: { version: 1 }, params: { command: 'echo v1' } });
    expect(b).toMatchObject({ status: 'running', template: { version: 2 }, params: { command: 'echo v2' } });
    const kid = async (id: string) => (await f.app.kernel.jobs.children(id))[0]!.params.command;
    expect([await kid(a!.id), await kid(b!.id)]).toEqual(['echo v1', 'echo v2']);
    // Statistics per version see each run under its own.
    const detail = await f.service.detail('edit');
    expect(detail.stats.runs).toBe(2);
    expect(detail.version_stats.runs).toBe(1);
  });
});
