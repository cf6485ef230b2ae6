import type { FrameEvent } from '../frames.js';
import type { AgentGoneError } from './errors.js';
import type { AgentFrame } from './protocol.js';

export interface Offsets {
  readonly out: number;
  readonly err: number;
}

/** How a follow ended. `gone`: the agent ended first; the job itself is unaffected and can be followed again. */
export type FollowEnd =
  | { kind: 'exit'; status: number }
  | { kind: 'lost'; reason: string }
  | { kind: 'unfollowed' }
  | { kind: 'failed'; error: unknown }
  | { kind: 'gone'; error: AgentGoneError };

/**
 * Events of one followed job, the same FrameEvents the exec path's FrameParser gives (src/ssh/frames.ts), so one
 * handler serves both paths. `onEvent` must not throw: if it does, the follow ends `failed`.
 */
export type OnFrameEvent = (event: FrameEvent) => void;

export interface FollowHandle {
  readonly jobId: string;
  /** The offsets just after the last byte delivered: where a new follow resumes. */
  readonly offsets: Offsets;
  readonly done: Promise<FollowEnd>;
  /** Stops following; resolves once the agent sends nothing more for this job. */
  unfollow(): Promise<void>;
}

/** One followed job: checks that data continues exactly where the last byte ended, and settles once. */
export class FollowState implements FollowHandle {
  out: number;
  err: number;
  done: Promise<FollowEnd>;
  ended = false;
  private pidSeen = false;
  private holding = false;
  private last: [FrameEvent, FollowEnd] | undefined;
  private settle: (end: FollowEnd) => void = () => undefined;

  constructor(
    readonly jobId: string,
    from: Offsets,
    private readonly onEvent: OnFrameEvent,
    private readonly stop: (state: FollowState) => Promise<void>,
  ) {
    this.out = from.out;
    this.err = from.err;
    this.done = new Promise((resolve) => (this.settle = resolve));
  }

  get offsets(): Offsets {
    return { out: this.out, err: this.err };
  }

  unfollow(): Promise<void> {
    return this.ended ? Promise.resolve() : this.stop(this);
  }

  /** Returns false when a data frame does not start where the last one ended: the stream cannot be trusted. */
  frame(f: Exclude<AgentFrame, { type: 'hello' } | { type: 'reply' }>): boolean {
    if (this.ended) return true;
    if (f.type === 'data') {
      const at = f.stream === 'stdout' ? this.out : this.err;
      if (f.offset !== at) return false;
      if (f.stream === 'stdout') this.out += f.chunk.length;
      else this.err += f.chunk.length;
      this.deliver({ type: 'data', stream: f.stream, chunk: f.chunk });
    } else if (f.type === 'pid') this.deliverPid(f.pid);
    else {
      this.last =
        f.type === 'exit'
          ? [
              { type: 'exit', status: f.status },
              { kind: 'exit', status: f.status },
            ]
          : [
              { type: 'lost', reason: f.reason },
              { kind: 'lost', reason: f.reason },
            ];
      if (!this.holding) this.release();
    }
    return true;
  }

  /** Keeps the end (exit or lost) back until release(): a launch's pid is told before its job's end. */
  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    const last = this.last;
    if (!last) return;
    this.last = undefined;
    this.deliver(last[0]);
    this.end(last[1]);
  }

  /** The runner's pid, once: the agent's P frame and the launch's answer may both tell it. */
  deliverPid(pid: number): void {
    if (this.pidSeen) return;
    this.pidSeen = true;
    this.deliver({ type: 'pid', pid });
  }

  deliver(event: FrameEvent): void {
    if (this.ended) return;
    try {
      this.onEvent(event);
    } catch (error) {
      this.end({ kind: 'failed', error });
      void this.stop(this).catch(() => undefined);
    }
  }

  end(end: FollowEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.settle(end);
  }
}
