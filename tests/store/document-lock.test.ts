import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SharedDocument } from '../../src/store/document.js';
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
    const doc = new SharedDocument<Doc>(file, () => ({ items: [] }));
    await doc.update((d) => void d.items.push('first'));
    fs.mkdirSync(`${file}.lock`);
    // Fresh and unrecorded: its holder may be about to record itself, so it is left alone for now.
    let done = false;
    const write = doc.update((d) => void d.items.push('second')).then(() => (done = true));
    const until = Date.now() + 1000;
    while (Date.now() < until) {
      expect(done).toBe(false);
      await new Promise((r) => setTimeout(r, 50));
    }
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
    const doc = new SharedDocument<Doc>(file, () => ({ items: [] }));
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
    await new Promise((r) => setTimeout(r, 1500));
    expect(done).toBe(false);
    expect(fs.existsSync(`${file}.lock`)).toBe(true);
    fs.rmdirSync(`${file}.lock`);
    await write;
    expect((await doc.read()).items).toEqual(['first', 'second']);
  });

  it('waits for a live holder instead of breaking its lock', async () => {
    const doc = new SharedDocument<Doc>(file, () => ({ items: [] }));
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
      // Longer than an unrecorded lock is left alone: this one is recorded, and its holder lives.
      const until = Date.now() + 4000;
      while (Date.now() < until) {
        expect(done).toBe(false);
        expect(fs.existsSync(`${file}.lock`)).toBe(true);
        await new Promise((r) => setTimeout(r, 50));
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
