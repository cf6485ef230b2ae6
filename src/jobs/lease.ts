import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { isAlive, isSameLock, lockIdentity } from '../store/lock-identity.js';

/**
 * Exactly one deckhand process per DECKHAND_HOME executes jobs; the others create, read and cancel.
 * The lease is a proper-lockfile lock refreshed every few seconds; a holder that dies is replaced when its
 * lock goes stale, or at once when its recorded pid is gone from this host.
 */
export class EngineLease {
  private release: (() => Promise<void>) | undefined;
  private readonly lockTarget: string;
  private readonly ownerFile: string;

  constructor(
    home: string,
    private readonly onLost: () => void,
    private readonly staleMs = 10_000,
  ) {
    this.lockTarget = path.join(home, 'engine');
    this.ownerFile = path.join(home, 'engine.owner');
  }

  /** Whether a process holds the lease on this home now: its lock exists and is being refreshed. */
  static isHeld(home: string, staleMs = 10_000): boolean {
    try {
      return Date.now() - fs.statSync(path.join(home, 'engine.lock')).mtimeMs < staleMs;
    } catch {
      return false;
    }
  }

  get held(): boolean {
    return this.release !== undefined;
  }

  async tryAcquire(): Promise<boolean> {
    if (this.release) return true;
    if (await this.attempt()) return true;
    if (this.breakDeadHolder()) return this.attempt();
    return false;
  }

  private get lockDir(): string {
    return `${this.lockTarget}.lock`;
  }

  private async attempt(): Promise<boolean> {
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(this.lockTarget, {
        realpath: false,
        stale: this.staleMs,
        update: Math.floor(this.staleMs / 4),
        retries: 0,
        onCompromised: () => {
          this.release = undefined;
          this.onLost();
        },
      });
    } catch {
      return false;
    }
    try {
      // The record names the lock it belongs to (inode and birth time): a record left by an earlier holder never passes for
      // the current holder's. Written whole (temp file + rename): a reader never sees half of it.
      const id = lockIdentity(fs.statSync(this.lockDir));
      const tmp = `${this.ownerFile}.${process.pid}.tmp`;
      const record = { pid: process.pid, host: os.hostname(), since: new Date().toISOString(), ...id };
      fs.writeFileSync(tmp, JSON.stringify(record), { mode: 0o600 });
      fs.renameSync(tmp, this.ownerFile);
    } catch (err) {
      await release().catch(() => undefined);
      throw err;
    }
    this.release = release;
    return true;
  }

  /**
   * The holder was killed on this machine: don't make the user wait for the lock to go stale. Only a lock whose
   * record proves its holder dead is removed, and only that very lock (moved aside, then checked).
   */
  private breakDeadHolder(): boolean {
    let st: fs.Stats;
    let o: { pid: number; host: string; ino?: number; birth?: number };
    try {
      st = fs.statSync(this.lockDir);
      o = JSON.parse(fs.readFileSync(this.ownerFile, 'utf8')) as typeof o;
    } catch {
      return false;
    }
    if (!isSameLock(o, st) || o.host !== os.hostname() || o.pid === process.pid || isAlive(o.pid)) return false;
    const aside = `${this.lockDir}.dead-${process.pid}-${Date.now()}`;
    try {
      fs.renameSync(this.lockDir, aside);
    } catch {
      return false;
    }
    const moved = fs.statSync(aside, { throwIfNoEntry: false });
    if (moved && !isSameLock(lockIdentity(st), moved)) {
      // A new holder took the lock between our check and the move: give it back.
      try {
        fs.renameSync(aside, this.lockDir);
      } catch {
        // Someone else holds a fresh lock by now; the one moved aside goes stale on its own.
      }
      return false;
    }
    // The dead holder's record goes with its lock, so it can never be read as the record of the next one.
    fs.rmSync(this.ownerFile, { force: true });
    fs.rmSync(aside, { recursive: true, force: true });
    return true;
  }

  async releaseLease(): Promise<void> {
    const r = this.release;
    this.release = undefined;
    if (r) await r().catch(() => undefined);
  }
}
