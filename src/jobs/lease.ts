import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';

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

  get held(): boolean {
    return this.release !== undefined;
  }

  async tryAcquire(): Promise<boolean> {
    if (this.release) return true;
    if (await this.attempt()) return true;
    if (this.ownerIsDead()) {
      // The holder was killed on this machine: don't make the user wait for the lock to go stale.
      fs.rmSync(`${this.lockTarget}.lock`, { recursive: true, force: true });
      return this.attempt();
    }
    return false;
  }

  private async attempt(): Promise<boolean> {
    try {
      this.release = await lockfile.lock(this.lockTarget, {
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
    fs.writeFileSync(
      this.ownerFile,
      JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() }),
      {
        mode: 0o600,
      },
    );
    return true;
  }

  private ownerIsDead(): boolean {
    try {
      const o = JSON.parse(fs.readFileSync(this.ownerFile, 'utf8')) as { pid: number; host: string };
      if (o.host !== os.hostname() || o.pid === process.pid) return false;
      process.kill(o.pid, 0);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }

  async releaseLease(): Promise<void> {
    const r = this.release;
    this.release = undefined;
    if (r) await r().catch(() => undefined);
  }
}
