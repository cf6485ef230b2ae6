import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SharedDocument, type HolderKept } from '../../src/store/document.js';
import { tempHome } from '../helpers/home.js';
import { childModule } from '../helpers/child-module.js';

const DOCUMENT_JS = await childModule('src/store/document.ts');

interface Doc {
  items: string[];
}

/** A separate process that SIGKILLs itself in the middle of a write, holding the lock. */
function dieHoldingTheLock(file: string): { status: number | null; signal: NodeJS.Signals | null } {
  const script = `
    const { SharedDocument } = await import(${JSON.stringify(DOCUMENT_JS)});
    const doc = new SharedDocument(process.argv[1], () => ({ items: [] }));
    await doc.update((d) => { d.items.push('never'); process.kill(process.pid, 'SIGKILL'); });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, file], { encoding: 'utf8' });
  return { status: r.status, signal: r.signal };
}

/**
 * The lock's clock, moved by the test, and the waiter's verdicts as they happen: `step(ms, write)` moves the clock and
 * waits until the waiter has looked at the holder again and left the lock alone. Seconds of waiting become steps.
 */
function lockClock() {
  let now = Date.now();
  const kept: HolderKept[] = [];
  let next: ((why: HolderKept) => void) | undefined;
  return {
    kept,
    options: {
      now: () => now,
      onHolderKept: (why: HolderKept) => {
        kept.push(why);
        next?.(why);
      },
    },
    /** Moves the clock by `ms`, for a waiter that will not leave the lock alone this time. */
    advance(ms: number): void {
      now += ms;
    },
    /** Moves the clock by `ms` and answers the waiter's next verdict, or 'written' if it took the lock instead. */
    step(ms: number, write: Promise<unknown>): Promise<HolderKept | 'written'> {
      const seen = new Promise<HolderKept>((resolve) => (next = resolve));
      now += ms;
      return Promise.race([seen, write.then(() => 'written' as const)]);
    },
  };
}

describe('SharedDocument lock', () => {
  let tmp: { dir: string; cleanup(): void };
  let file: string;
  beforeEach(() => {
    tmp = tempHome();
    file = path.join(tmp.dir, 'jobs.json');
  });
  afterEach(() => tmp.cleanup());

  it('takes over at once from a holder killed mid-write, instead of failing with ELOCKED', async () => {
    const doc = new SharedDocument<Doc>(file, () => ({ items: [] }));
    await doc.update((d) => void d.items.push('first'));
    expect(dieHoldingTheLock(file).signal).toBe('SIGKILL');
    expect(fs.existsSync(`${file}.lock`)).toBe(true);

    await doc.update((d) => void d.items.push('after the crash'));
    expect((await doc.read()).items).toEqual(['first', 'after the crash']);
    expect(fs.readdirSync(tmp.dir).sort()).toEqual(['jobs.json']);
  });

  it('takes over a lock whose holder died before recording itself, once it is a few seconds old', async () => {
    const clock = lockClock();
    const doc = new SharedDocument<Doc>(file, () => ({ items: [] }), clock.options);
    await doc.update((d) => void d.items.push('first'));
    fs.mkdirSync(`${file}.lock`);
    // Fresh and unrecorded: its holder may be about to record itself, so it is left alone for now.
    let done = false;
    const write = doc.update((d) => void d.items.push('second')).then(() => (done = true));
    expect(await clock.step(0, write)).toBe('fresh');
    for (let t = 250; t <= 2500; t += 250) {
      expect(await clock.step(250, write)).toBe('fresh');
      expect(done).toBe(false);
    }
    // A few seconds old and still unrecorded: its holder died before it could record itself.
    clock.advance(1000);
    await write;
    expect((await doc.read()).items).toEqual(['first', 'second']);

    // Already old when first seen: taken over at the first look.
    fs.mkdirSync(`${file}.lock`);
    const old = new Date(Date.now() - 5000);
    fs.utimesSync(`${file}.lock`, old, old);
    await doc.update((d) => void d.items.push('third'));
    expect((await doc.read()).items).toEqual(['first', 'second', 'third']);
  });

  it("never reads a dead holder's record as the next holder's when the lock is made again with the same inode", async () => {
    const clock = lockClock();
    const doc = new SharedDocument<Doc>(file, () => ({ items: [] }), clock.options);
    await doc.update((d) => void d.items.push('first'));
    fs.mkdirSync(`${file}.lock`);
    const old = fs.statSync(`${file}.lock`);
    fs.rmdirSync(`${file}.lock`);
    // A live holder has just made the lock again (ext4 reuses the inode) and not yet written its record; the record
    // on disk is a dead holder's.
    fs.mkdirSync(`${file}.lock`);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const reused = fs.statSync(`${file}.lock`).ino;
    fs.writeFileSync(
      `${file}.lock-owner`,
      JSON.stringify({ pid: Number(dead.stdout), host: os.hostname(), ino: reused, birth: old.birthtimeMs }),
    );
    let done = false;
    const write = doc.update((d) => void d.items.push('second')).then(() => (done = true));
    // The record is not this lock's: the lock counts as unrecorded, and young, so it stays.
    expect(await clock.step(0, write)).toBe('fresh');
    for (let t = 250; t <= 1500; t += 250) expect(await clock.step(250, write)).toBe('fresh');
    expect(done).toBe(false);
    expect(fs.existsSync(`${file}.lock`)).toBe(true);
    fs.rmdirSync(`${file}.lock`);
    await write;
    expect((await doc.read()).items).toEqual(['first', 'second']);
  });

  it('waits for a live holder instead of breaking its lock', async () => {
    const clock = lockClock();
    const doc = new SharedDocument<Doc>(file, () => ({ items: [] }), clock.options);
    await doc.update((d) => void d.items.push('first'));
    // Another live process holds the lock (recorded the way a holder records itself).
    const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      fs.mkdirSync(`${file}.lock`);
      const st = fs.statSync(`${file}.lock`);
      fs.writeFileSync(
        `${file}.lock-owner`,
        JSON.stringify({ pid: holder.pid, host: os.hostname(), ino: st.ino, birth: st.birthtimeMs }),
      );
      let done = false;
      const write = doc.update((d) => void d.items.push('second')).then(() => (done = true));
      expect(await clock.step(0, write)).toBe('alive');
      // Longer than an unrecorded lock is left alone: this one is recorded, and its holder lives.
      for (let t = 250; t <= 4000; t += 250) {
        expect(await clock.step(250, write)).toBe('alive');
        expect(done).toBe(false);
        expect(fs.existsSync(`${file}.lock`)).toBe(true);
      }
      // The holder releases.
      fs.rmSync(`${file}.lock-owner`);
      fs.rmdirSync(`${file}.lock`);
      await write;
      expect((await doc.read()).items).toEqual(['first', 'second']);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
