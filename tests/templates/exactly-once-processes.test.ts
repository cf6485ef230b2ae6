import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Stores } from '../../src/jobs/store/contract.js';
import { openSqliteStores } from '../../src/jobs/store/sqlite/index.js';
import { scheduleRunKey } from '../../src/templates/schedule/identity.js';
import { childModule } from '../helpers/child-module.js';
import { migratedHomes } from '../helpers/sqlite-home.js';
import { allRuns, expectOncePerSlot, MIN, START } from './exactly-once.js';
import { fakeServer, templateInstance } from './instance.js';

interface Child {
  readonly proc: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Exactly once per slot across real processes on one SQLite file, and across a SIGKILL in the middle of firing a
 * slot followed by a restart inside that slot. Each process runs the schedule loop (fixtures/loop-child.ts) on its
 * own clock stepping over the same slots; nothing executes (the engine is never started).
 */
describe('a schedule fired by several processes on one SQLite home', () => {
  const homes = migratedHomes();
  const children: ChildProcess[] = [];
  let stores: Stores | undefined;
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await stores?.close();
    homes.cleanup();
  });

  it('two processes over 100 slots, then one killed while firing and restarted inside the slot: each slot once', async () => {
    const entry = fileURLToPath(await childModule('tests/templates/fixtures/loop-child.ts'));
    const home = await homes.fresh();
    const key = path.join(home, 'client_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    stores = await openSqliteStores({ home, instance: { id: 'test', host: 'h', pid: process.pid } });
    await stores.inventory.add(fakeServer('box', key));
    const setup = templateInstance(stores, { home, now: () => START });
    const { template } = await setup.service.save({
      name: 'procs',
      command: 'true',
      target: { servers: ['box'] },
      schedule: { every: '1m', concurrency_policy: 'Allow' },
    });
    await setup.close();

    const start = (id: string, from: number, to: number, onLine?: (line: string, c: Child) => void): Child => {
      const proc = spawn(process.execPath, [entry, home, id, String(from), String(to)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(proc);
      const lines: string[] = [];
      let stderr = '';
      const child: Child = {
        proc,
        lines,
        exited: new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal }))),
      };
      let buf = '';
      proc.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          lines.push(line);
          onLine?.(line, child);
        }
      });
      proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      void child.exited.then(({ code }) => {
        if (code !== 0 && code !== null) console.error(`child ${id} exited ${code}: ${stderr}`);
      });
      return child;
    };
    const done = (c: Child) => JSON.parse(c.lines.find((l) => l.startsWith('done '))!.slice(5));

    // Phase 1: two processes racing over slots 1..100.
    const [p1, p2] = [start('p1', 1, 100), start('p2', 1, 100)];
    expect(await p1.exited).toEqual({ code: 0, signal: null });
    expect(await p2.exited).toEqual({ code: 0, signal: null });
    const [d1, d2] = [done(p1), done(p2)];
    expect([...d1.errors, ...d2.errors]).toEqual([]);
    expect(d1.counts.started + d2.counts.started).toBe(100);
    console.log(
      `processes: p1 started ${d1.counts.started}, p2 ${d2.counts.started}; lost the insert race ${d1.counts.duplicates + d2.counts.duplicates} times`,
    );

    // Phase 2: one process over 101..200, SIGKILLed the moment it starts firing slot 150.
    const target = scheduleRunKey(template.id, new Date(START + 150 * MIN));
    const k = start('k1', 101, 200, (line, c) => {
      if (line === `firing ${target}`) c.proc.kill('SIGKILL');
    });
    expect(await k.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(k.lines).not.toContain('tick 150');
    const createdBeforeDeath = await stores.templates.slotTaken(target);
    const cursor = (await stores.templates.getById(template.id))!.schedule_state.cursor;
    console.log(
      `killed while firing slot 150: its run ${createdBeforeDeath ? 'was' : 'was not'} created, cursor at slot ${(cursor! - START) / MIN}`,
    );
    // Restarted inside the slot: the same slot is looked at again. This one is killed once slot 170's run exists,
    // before the loop moved the cursor past it.
    const second = scheduleRunKey(template.id, new Date(START + 170 * MIN));
    const k2 = start('k2', 150, 200, (line, c) => {
      if (line === `started ${second}`) c.proc.kill('SIGKILL');
    });
    expect(await k2.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await stores.templates.slotTaken(second)).toBe(true);
    const cursor2 = (await stores.templates.getById(template.id))!.schedule_state.cursor;
    console.log(`killed once slot 170's run existed: cursor at slot ${(cursor2! - START) / MIN}`);
    const k3 = start('k3', 170, 200);
    expect(await k3.exited).toEqual({ code: 0, signal: null });
    expect(done(k3).errors).toEqual([]);

    expectOncePerSlot(
      await allRuns(stores, template.id),
      template.id,
      Array.from({ length: 200 }, (_, i) => START + (i + 1) * MIN),
    );
    expect(await stores.templates.scheduleEvents(template.id, 10)).toEqual([]);
    expect((await stores.templates.getById(template.id))!.schedule_state.cursor).toBe(START + 200 * MIN);
  });
});
