import type { InstanceInfo, InstanceRef, Stores } from './store/contract.js';
import type { Job } from './types.js';

export interface RecoveryOptions {
  readonly stores: Stores;
  readonly instance: InstanceRef & { readonly version: string; readonly maxJobs: number };
  readonly ownerTimeoutMs: number;
  /** Whether a process of this host is alive (a dead one's instance is stale at once, not after the timeout). */
  readonly isAlive: (pid: number) => boolean;
  /** Jobs taken over: the engine reattaches to them. */
  readonly adopt: (jobs: Job[]) => void;
  /** This instance's row was removed by another (it stopped heartbeating for too long): its runs must stop. */
  readonly onLostOwnership: () => void;
  readonly onError: (err: unknown, context: string) => void;
}

/**
 * This instance's life in the shared job system: its row and heartbeat, and taking over the running jobs of
 * instances that stopped heartbeating (killed, partitioned, gone) or whose process is gone from this host. The take
 * over is atomic in the store, so of two instances looking at once, each job goes to exactly one; the new owner
 * reattaches to the remote process from the stored offsets, never starting it again.
 */
export class Recovery {
  private heartbeat: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private lost = false;

  constructor(private readonly o: RecoveryOptions) {}

  async start(): Promise<void> {
    const { stores, instance } = this.o;
    await stores.instances.register(
      {
        id: instance.id,
        host: instance.host,
        pid: instance.pid,
        version: instance.version,
        started_at: Date.now(),
        max_jobs: instance.maxJobs,
      },
      Date.now(),
    );
    await this.check();
    // A look for gone owners every second (a read, unless there is something to take: a process of this host that
    // died is seen at once), a heartbeat a few times per timeout, so a silent instance's jobs move within about one
    // timeout.
    const beatEvery = Math.max(1000, Math.floor(this.o.ownerTimeoutMs / 3));
    let lastBeat = Date.now();
    this.heartbeat = setInterval(() => {
      const beat = Date.now() - lastBeat >= beatEvery;
      if (beat) lastBeat = Date.now();
      this.checking ??= (beat ? this.beat() : this.look()).finally(() => (this.checking = undefined));
    }, 1000);
    this.heartbeat.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.checking;
    if (!this.lost) await this.o.stores.instances.unregister(this.o.instance.id);
  }

  private async beat(): Promise<void> {
    try {
      const alive = await this.o.stores.instances.heartbeat(this.o.instance.id, Date.now());
      if (!alive && !this.lost) {
        // Another instance judged us gone and took our jobs: whatever still runs here must stop at once.
        this.lost = true;
        this.o.onLostOwnership();
        return;
      }
      await this.check();
    } catch (err) {
      // The database away for a while: running commands keep running remotely; nothing is declared lost.
      this.o.onError(err, 'heartbeat');
    }
  }

  private async look(): Promise<void> {
    try {
      await this.check();
    } catch (err) {
      this.o.onError(err, 'take-over');
    }
  }

  /** Takes over the running jobs whose owner is gone. */
  async check(): Promise<void> {
    // An instance that executes nothing (DECKHAND_MAX_JOBS=0) leaves running jobs to those that do.
    if (this.lost || this.o.instance.maxJobs === 0) return;
    const { stores, instance } = this.o;
    const now = Date.now();
    for (const other of await stores.instances.list()) {
      if (this.deadHere(other)) await stores.instances.unregister(other.id);
    }
    const taken = await stores.jobs.takeOver(instance, now - this.o.ownerTimeoutMs, now);
    if (taken.length) this.o.adopt(taken);
  }

  private deadHere(other: InstanceInfo): boolean {
    return other.id !== this.o.instance.id && other.host === this.o.instance.host && !this.o.isAlive(other.pid);
  }
}
