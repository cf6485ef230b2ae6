import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineLease } from '../../src/jobs/lease.js';

let home: string;
const leases: EngineLease[] = [];
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'deckhand-lease-'));
});
afterEach(async () => {
  for (const l of leases.splice(0)) await l.releaseLease();
  fs.rmSync(home, { recursive: true, force: true });
});

function lease(): EngineLease {
  const l = new EngineLease(home, () => undefined);
  leases.push(l);
  return l;
}

/** The pid of a process that has exited: a holder killed on this host. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

const ownerFile = () => path.join(home, 'engine.owner');
const lockId = () => {
  const st = fs.statSync(path.join(home, 'engine.lock'));
  return { ino: st.ino, birth: st.birthtimeMs };
};

describe('EngineLease', () => {
  it('records its holder with the identity (inode, birth time) of the lock it holds, written whole', async () => {
    const a = lease();
    expect(await a.tryAcquire()).toBe(true);
    const record = JSON.parse(fs.readFileSync(ownerFile(), 'utf8')) as { pid: number; ino: number };
    expect(record).toMatchObject({ pid: process.pid, host: os.hostname(), ...lockId() });
    expect(fs.readdirSync(home).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(await lease().tryAcquire()).toBe(false);
  });

  it('takes over at once from a holder proven dead on this host', async () => {
    const a = lease();
    expect(await a.tryAcquire()).toBe(true);
    // The holder is "killed": its record now names a pid that is gone, for this very lock.
    fs.writeFileSync(ownerFile(), JSON.stringify({ pid: deadPid(), host: os.hostname(), ...lockId() }));
    const b = lease();
    expect(await b.tryAcquire()).toBe(true);
    expect(JSON.parse(fs.readFileSync(ownerFile(), 'utf8'))).toMatchObject({ pid: process.pid, ...lockId() });
  });

  it('never breaks a live lock on the word of a record left by an earlier holder', async () => {
    const a = lease();
    expect(await a.tryAcquire()).toBe(true);
    // A dead holder's record, but for another lock (the one before this): says nothing about the current holder.
    fs.writeFileSync(
      ownerFile(),
      JSON.stringify({ pid: deadPid(), host: os.hostname(), ...lockId(), ino: lockId().ino + 1 }),
    );
    expect(await lease().tryAcquire()).toBe(false);
    expect(fs.existsSync(path.join(home, 'engine.lock'))).toBe(true);
  });

  it("never takes a dead holder's record for the next holder's when the lock is made again with the same inode", async () => {
    const lockDir = path.join(home, 'engine.lock');
    fs.mkdirSync(lockDir);
    const dead = { pid: deadPid(), host: os.hostname(), ...lockId() };
    fs.rmdirSync(lockDir);
    // A new holder has just made the lock (ext4 hands out the same inode again) and not yet written its record.
    fs.mkdirSync(lockDir);
    fs.writeFileSync(ownerFile(), JSON.stringify({ ...dead, ino: lockId().ino }));
    expect(await lease().tryAcquire()).toBe(false);
    expect(fs.existsSync(lockDir)).toBe(true);
  });
});
