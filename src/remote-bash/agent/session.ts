import type { Client } from 'ssh2';
import { DeckhandError } from '../../errors.js';
import type { StartSpec } from '../protocol.js';
import { envExports } from '../../ssh/shell.js';
import { AgentChannel, type AgentChannelOptions, type AgentEnd, type JobFrame } from './channel.js';
import { AgentRequestError } from './errors.js';
import { FollowState, type FollowHandle, type Offsets, type OnFrameEvent } from './follows.js';
import { AgentProtocolError, encodeField, isAgentJobId } from './protocol.js';

export interface AgentSessionOptions extends AgentChannelOptions {
  /** For launch, unfollow and ping; kill and cleanup get longer, from what they wait for. */
  readonly requestTimeoutMs?: number;
}

export type { AgentEnd };
export type LaunchResult = { launched: true; pid: number } | { launched: false; pid: number | undefined };
/** As killCommand says: gone (confirmed), alive (could not kill it), no-dir (no such job), no-pgid (never started). */
export type KillResult = 'gone' | 'alive' | 'no-dir' | 'no-pgid';

/**
 * The client of one resident agent (see script.ts): one long-lived exec channel on a pooled connection, through which
 * jobs are launched, followed (many at once), killed and cleaned up without a login shell per command. A job is the
 * same as one started by the start script, so either path can follow, kill or clean up what the other launched.
 *
 * If the agent cannot start, open() rejects with AgentUnavailableError: use the exec path. If it ends later (killed,
 * connection dropped, a request timed out), `ended` resolves, requests in flight reject with AgentGoneError, follows
 * end `gone`; the jobs keep running on the server and are followed again from `offsets`.
 */
export class AgentSession {
  private readonly follows = new Map<string, FollowState>();
  private channel!: AgentChannel;
  /** Followers that asked to hold the channel (their store is behind): it reads again once none does. */
  private holds = 0;

  private constructor(private readonly o: AgentSessionOptions) {}

  /** Starts an agent on the connection and waits for its hello. */
  static async open(client: Client, o: AgentSessionOptions = {}): Promise<AgentSession> {
    const s = new AgentSession(o);
    s.channel = await AgentChannel.open(
      client,
      o,
      (f) => s.frame(f),
      (err) => {
        for (const st of s.follows.values()) {
          // An end already received counts for more than the agent's.
          st.release();
          st.end({ kind: 'gone', error: err });
        }
        s.follows.clear();
      },
    );
    return s;
  }

  /** The agent's pid on the server. */
  get remotePid(): number {
    return this.channel.remotePid;
  }

  get alive(): boolean {
    return this.channel.alive;
  }

  /** Resolves when the agent has ended, for whatever reason; never rejects. */
  get ended(): Promise<AgentEnd> {
    return this.channel.ended;
  }

  private frame(f: JobFrame): void {
    const st = this.follows.get(f.job);
    if (!st) return;
    if (!st.frame(f)) throw new AgentProtocolError(`data for ${f.job} does not continue where it ended`);
    if (f.type === 'exit' || f.type === 'lost') this.follows.delete(f.job);
  }

  private timeout(): number {
    return this.o.requestTimeoutMs ?? 30_000;
  }

  /** Launches the command detached, unless a launch of this job already did (the job directory is the token). */
  async launch(spec: StartSpec): Promise<LaunchResult> {
    checkId(spec.jobId);
    const env = envExports(spec.env);
    if ([spec.command, env, spec.cwd ?? ''].some((s) => s.includes('\u0000')))
      throw new DeckhandError(
        'invalid_argument',
        'The command, its cwd or an env value contains a NUL character (\\u0000).',
        {
          hint: 'Remove it: a remote shell cannot take one. Pass binary data base64-encoded instead.',
        },
      );
    const fields = [spec.command, env, spec.cwd ?? ''].map(encodeField).join(' ');
    const r = await this.channel.request((t) => `launch ${t} ${spec.jobId} ${fields}\n`, this.timeout());
    if (r.word === 'launched') return { launched: true, pid: Number(r.text) };
    if (r.word === 'exists') return { launched: false, pid: r.text ? Number(r.text) : undefined };
    throw new AgentRequestError('launch the command', r.text || r.word);
  }

  /** Streams the job's output from the given offsets, then its exit status (or why its outcome is unknown). */
  follow(jobId: string, from: Offsets, onEvent: OnFrameEvent): FollowHandle {
    return this.followState(jobId, from, onEvent);
  }

  /** `launching`: the launch of this job was just sent, on the same channel. */
  private followState(jobId: string, from: Offsets, onEvent: OnFrameEvent, launching = false): FollowState {
    checkId(jobId);
    if (this.follows.has(jobId))
      throw new DeckhandError('invalid_argument', `Job ${jobId} is already followed through this agent.`);
    const st = new FollowState(jobId, from, onEvent, (s) => this.stop(s));
    // A follow is answered only if the agent refuses it; its data and end come as the job's own frames.
    const refused = (_word: string, text: string) => {
      if (this.follows.get(jobId) === st) this.follows.delete(jobId);
      st.end({ kind: 'failed', error: new AgentRequestError('follow the job', text) });
    };
    const line = (t: number) =>
      `follow ${t} ${jobId} ${Math.floor(from.out)} ${Math.floor(from.err)}${launching ? ' L' : ''}\n`;
    const tag = this.channel.send(line, refused);
    if (tag === undefined) st.end({ kind: 'gone', error: this.channel.goneError() });
    else {
      this.follows.set(jobId, st);
      void st.done.then(() => this.channel.forget(tag));
    }
    return st;
  }

  /**
   * launch() and follow() sent together (no round trip between them): the start script's job in one go. A launch
   * reports the runner's pid to `onEvent` before the job's end, as the start script's P frame does.
   */
  start(
    spec: StartSpec,
    from: Offsets,
    onEvent: OnFrameEvent,
  ): { follow: FollowHandle; launch: Promise<LaunchResult> } {
    const launch = this.launch(spec);
    const st = this.followState(spec.jobId, from, onEvent, true);
    // The agent may see a short command end before it reads the launch's own note.
    st.hold();
    const reported = launch.then(
      (r) => {
        if (r.launched) st.deliverPid(r.pid);
        st.release();
        return r;
      },
      async (err: unknown) => {
        st.release();
        await st.unfollow().catch(() => undefined);
        st.end({ kind: 'failed', error: err });
        throw err;
      },
    );
    // A caller may wait on the follow alone: its end tells a failed launch too.
    reported.catch(() => undefined);
    return { follow: st, launch: reported };
  }

  private async stop(st: FollowState): Promise<void> {
    if (this.follows.get(st.jobId) !== st) return;
    try {
      await this.channel.request((t) => `unfollow ${t} ${st.jobId}\n`, this.timeout());
    } finally {
      if (this.follows.get(st.jobId) === st) this.follows.delete(st.jobId);
      st.end({ kind: 'unfollowed' });
    }
  }

  /** TERM the job's process group, KILL after `graceS`, and confirm it is gone (killCommand's steps). */
  async kill(jobId: string, graceS: number): Promise<KillResult> {
    checkId(jobId);
    const ticks = Math.max(1, Math.round(graceS * 10));
    // It waits up to 3 s for the process group to be known, the grace, then up to 2 s for the group to go.
    const r = await this.channel.request((t) => `kill ${t} ${jobId} ${ticks}\n`, ticks * 100 + 20_000);
    if (r.word === 'gone' || r.word === 'alive' || r.word === 'no-dir' || r.word === 'no-pgid') return r.word;
    throw new AgentRequestError('kill the job', r.text || r.word);
  }

  /** Removes the job's directory (if given) and sweeps failed jobs' directories older than `keepMinutes` (if given). */
  async cleanup(jobId: string | undefined, keepMinutes: number | undefined): Promise<void> {
    if (jobId !== undefined) checkId(jobId);
    // The poller sends a job's bytes from its files: removing them under a follow would cut a frame short.
    if (jobId !== undefined && this.follows.has(jobId))
      throw new DeckhandError('invalid_argument', `Job ${jobId} is still followed: unfollow it before cleaning it up.`);
    const keep = keepMinutes === undefined ? '-' : String(Math.max(1, Math.floor(keepMinutes)));
    const r = await this.channel.request((t) => `cleanup ${t} ${jobId ?? '-'} ${keep}\n`, 120_000);
    if (r.word !== 'ok') throw new AgentRequestError('clean up', r.text || r.word);
  }

  /** A round trip through the reader and the poller; returns it in milliseconds. */
  async ping(timeoutMs = this.o.requestTimeoutMs ?? 10_000): Promise<number> {
    const t = performance.now();
    await this.channel.request((tag) => `ping ${tag}\n`, timeoutMs);
    return performance.now() - t;
  }

  /** Holds the channel: no frame of any job is read until every pause() has had its resume(). */
  pause(): void {
    if (this.holds++ === 0) this.channel.pause();
  }

  resume(): void {
    if (this.holds === 0) return;
    if (--this.holds === 0) this.channel.resume();
  }

  /** Ends the agent. Jobs keep running on the server; follows end `gone` (reason `closed`). */
  close(): Promise<void> {
    return this.channel.close();
  }
}

function checkId(id: string): void {
  if (!isAgentJobId(id))
    throw new DeckhandError(
      'invalid_argument',
      `"${id.slice(0, 40)}" is not a job id the agent takes ([A-Za-z0-9_], 1 to 100).`,
    );
}
