import type { ClaimRequest, JobStore } from './store/contract.js';
import type { Job } from './types.js';

export interface SchedulerOptions {
  readonly jobs: JobStore;
  readonly claimRequest: () => ClaimRequest | undefined;
  readonly launch: (job: Job) => void;
  readonly onError: (err: unknown, context: string) => void;
}

/**
 * Admission: starts queued jobs whenever there may be room or work (a job created or ended here or elsewhere, a
 * delayed job due, a periodic look). One claim at a time; a kick during a claim makes one more afterwards, so no
 * wake-up is lost and claims never pile up.
 */
export class Scheduler {
  private ticking: Promise<void> | undefined;
  private again = false;

  constructor(private readonly o: SchedulerOptions) {}

  kick(): void {
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = this.tick()
      .catch((err: unknown) => this.o.onError(err, 'scheduling'))
      .finally(() => {
        this.ticking = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Waits for a claim under way (close). */
  async idle(): Promise<void> {
    while (this.ticking) await this.ticking;
  }

  private async tick(): Promise<void> {
    const req = this.o.claimRequest();
    if (!req) return;
    for (const job of await this.o.jobs.claim(req)) this.o.launch(job);
  }
}
