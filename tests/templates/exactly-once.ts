import { expect } from 'vitest';
import type { Stores } from '../../src/jobs/store/contract.js';
import type { Job } from '../../src/jobs/types.js';
import { scheduleRunKey } from '../../src/templates/schedule/identity.js';
import type { TemplateInstance } from './instance.js';

import { MIN, SLOTS, START } from './instance.js';

export { MIN, SLOTS, START };

/** Every top-level run of the template, through the store. */
export async function allRuns(stores: Stores, templateId: string): Promise<Job[]> {
  const out: Job[] = [];
  let cursor: string | undefined;
  do {
    const page = await stores.jobs.list({ template_id: templateId, top_level: true }, 500, cursor);
    out.push(...page.jobs);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

/** Runs counted by unique key: each expected slot's key must appear exactly once, and no other. */
export function expectOncePerSlot(runs: readonly Job[], templateId: string, slots: readonly number[]): void {
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.unique_key ?? '(none)', (counts.get(r.unique_key ?? '(none)') ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1);
  expect(twice, 'slots started more than once').toEqual([]);
  const expected = slots.map((s) => scheduleRunKey(templateId, new Date(s)));
  expect([...counts.keys()].sort()).toEqual([...expected].sort());
}

/**
 * Two instances (two stores opened on one database) ticking at once over 200 minutely slots, each sometimes twice
 * and sometimes not at all (the other then catches up on the next).
 * Answers the template id; the clock is the caller's (`clock.t`).
 */
export async function raceOverSlots(
  a: TemplateInstance,
  b: TemplateInstance,
  clock: { t: number },
  name = 'race',
): Promise<string> {
  clock.t = START;
  const saved = await a.service.save({
    name,
    command: 'true',
    target: { servers: ['box'] },
    // Allow: every slot starts whatever is still active; the runs never execute here.
    schedule: { every: '1m', concurrency_policy: 'Allow' },
  });
  for (let i = 1; i <= SLOTS; i++) {
    clock.t = START + i * MIN + (i % 7) * 100;
    // One slot in ten each instance fires alone, so both start some whoever tends to win the races (with SQLite's
    // one writer at a time, the first to ask often wins them all); the other eight are raced.
    if (i % 10 === 3) await a.loop.tick();
    else if (i % 10 === 7) await b.loop.tick();
    else await Promise.all([a.loop.tick(), b.loop.tick(), i % 5 === 0 ? b.loop.tick() : Promise.resolve()]);
  }
  clock.t = START + SLOTS * MIN + 30_000;
  await Promise.all([a.loop.tick(), b.loop.tick()]);
  return saved.template.id;
}
