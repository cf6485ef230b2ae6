import type { ClientChannel } from 'ssh2';
import type { JobContext } from '../jobs/handler.js';
import type { AgentSession, FollowHandle, OnFrameEvent } from './agent/index.js';
import { FrameParser, OffsetLineSplitter, type FrameEvent } from './frames.js';

/** How following a job into its log ended. */
export type Follow =
  | { kind: 'exit'; status: number }
  | { kind: 'lost'; reason: string }
  /** The stream ended early. `agent`: the resident agent ended or refused; the connection itself may be fine. */
  | { kind: 'dropped'; err?: unknown; agent?: boolean }
  | { kind: 'stopped' };

/** What a source of frames reports to. */
export interface FrameSink {
  frame(e: FrameEvent): void;
  /** The frames of one piece of input were handed over: time to flush the log. */
  delivered(): void;
  dropped(err?: unknown, agent?: boolean): void;
}

/** Where one job's frames come from: a follower's own exec channel, or the connection's resident agent. */
export interface FrameSource {
  pause(): void;
  resume(): void;
  /** Resolves once no frame of this job can arrive any more. */
  close(): Promise<void>;
}

export type Attach = (sink: FrameSink) => FrameSource;

/** The start script's or the follow script's channel (remote-scripts in protocol.ts): one job per channel. */
export function channelSource(channel: ClientChannel, onStderr: (text: string) => void): Attach {
  return (sink) => {
    const parser = new FrameParser((e) => sink.frame(e));
    channel.on('data', (d: Buffer) => {
      try {
        parser.push(d);
      } catch (err) {
        return sink.dropped(err);
      }
      sink.delivered();
    });
    channel.stderr.on('data', (d: Buffer) => onStderr(d.toString('utf8').trim()));
    channel.on('close', () => sink.dropped());
    return {
      pause: () => channel.pause(),
      resume: () => channel.resume(),
      close: () => {
        channel.close();
        return Promise.resolve();
      },
    };
  };
}

/**
 * One job through the resident agent, which carries many jobs on one channel. `open` starts the follow (a follow, or
 * a launch and its follow) with the callback the agent's frames go to. Pausing holds the agent's whole channel: a
 * store too slow for one job's output slows every job on that connection, which shares the same store anyway.
 */
export function agentSource(agent: AgentSession, open: (onEvent: OnFrameEvent) => FollowHandle): Attach {
  return (sink) => {
    let paused = false;
    const handle = open((e) => {
      sink.frame(e);
      if (e.type === 'data') sink.delivered();
    });
    void handle.done.then((end) => {
      // exit and lost came as frames; unfollowed was asked for.
      if (end.kind === 'gone' || end.kind === 'failed') sink.dropped(end.error, true);
    });
    const resume = () => {
      if (!paused) return;
      paused = false;
      agent.resume();
    };
    return {
      pause: () => {
        if (paused) return;
        paused = true;
        agent.pause();
      },
      resume,
      close: async () => {
        resume();
        await handle.unfollow().catch(() => undefined);
      },
    };
  };
}

/**
 * Streams a job's frames into its log until the command ends, the outcome is reported lost, the stream drops or the
 * job is stopped (`maxMs`: a follow that only collects an exit status, ended as dropped when it takes longer).
 * Every line is stored before the end is told. `onPid`: the runner is known to be running.
 */
export function followIntoLog(
  ctx: JobContext,
  attach: Attach,
  onPid: (pid: number) => void,
  maxMs?: number,
): Promise<Follow> {
  const log = ctx.log;
  let now = Date.now();
  const splitter = (stream: 'stdout' | 'stderr', from: number) =>
    new OffsetLineSplitter(
      from,
      (b, s, e, off) => log.addRange(stream, b, s, e, off, now),
      undefined,
      (b, s, e, n, off) => log.addLines(stream, b, s, e, n, off, now),
    );
  const split = { stdout: splitter('stdout', log.offsets.out), stderr: splitter('stderr', log.offsets.err) };
  return new Promise<Follow>((resolve) => {
    let result: Follow | undefined;
    // Set once attached; a source that reports at once (while attaching) finds it unset.
    const held: { source?: FrameSource } = {};
    // Flushes in flight: past two the source pauses, so a slow store slows the stream (SSH's window does the rest)
    // instead of buffering without bound.
    let inflight = 0;
    let paused = false;
    const settle = (f: Follow) => {
      if (result) return;
      result = f;
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      // Nothing of this job arrives after the close: a follow that comes next starts clean.
      void (held.source?.close() ?? Promise.resolve()).then(() => resolve(f));
    };
    const flush = (): Promise<void> => {
      inflight++;
      if (inflight >= 2 && !paused) {
        paused = true;
        held.source?.pause();
      }
      return log.flush().then(
        () => {
          inflight--;
          if (paused && inflight < 2) {
            paused = false;
            held.source?.resume();
          }
        },
        (err: unknown) => settle({ kind: 'dropped', err }),
      );
    };
    // The end is told only once every line before it is stored.
    const settleAfterFlush = (f: Follow) => void flush().then(() => settle(f));
    const sink: FrameSink = {
      frame(e) {
        if (result) return;
        if (e.type === 'data') {
          now = Date.now();
          split[e.stream].push(e.chunk);
        } else if (e.type === 'exit') {
          split.stdout.end();
          split.stderr.end();
          settleAfterFlush({ kind: 'exit', status: e.status });
        } else if (e.type === 'lost') settleAfterFlush({ kind: 'lost', reason: e.reason });
        else onPid(e.pid);
      },
      delivered() {
        if (!result) void flush();
      },
      dropped(err, agent) {
        if (!result)
          settleAfterFlush({ kind: 'dropped', ...(err !== undefined ? { err } : {}), ...(agent ? { agent } : {}) });
      },
    };
    const onAbort = () => maxMs === undefined && settle({ kind: 'stopped' });
    const timer = maxMs === undefined ? undefined : setTimeout(() => settle({ kind: 'dropped' }), maxMs);
    held.source = attach(sink);
    if (ctx.signal.aborted && maxMs === undefined) return settle({ kind: 'stopped' });
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
}
