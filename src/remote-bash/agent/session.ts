import type { Client, ClientChannel } from 'ssh2';
import { DeckhandError } from '../../errors.js';
import { exitStatusOf, openExec } from '../../ssh/exec.js';
import type { StartSpec } from '../../ssh/remote-scripts.js';
import { envExports } from '../../ssh/shell.js';
import { AgentGoneError, AgentRequestError, AgentUnavailableError, type AgentEndReason } from './errors.js';
import { FollowState, type FollowHandle, type Offsets, type OnFrameEvent } from './follows.js';
import { exitedBeforeHello, noAnswer, printable, readHello } from './handshake.js';
import { AgentFrameParser, AgentProtocolError, encodeField, isAgentJobId, type AgentFrame } from './protocol.js';
import { agentBootstrap, agentCommand } from './script.js';

export interface AgentSessionOptions {
  /** The remote shell that runs the agent: `sh` (default), `bash`, `/bin/busybox sh`… */
  readonly shell?: string;
  /** From the exec request to the agent's hello: the login shell's start-up is in it. */
  readonly startTimeoutMs?: number;
  /** For launch and ping; kill and cleanup get longer, from what they wait for. */
  readonly requestTimeoutMs?: number;
  /** Lines the agent writes on stderr (it should write none). */
  readonly onStderr?: (line: string) => void;
}

export type LaunchResult = { launched: true; pid: number } | { launched: false; pid: number | undefined };
/** As killCommand says: gone (confirmed), alive (could not kill it), no-dir (no such job), no-pgid (never started). */
export type KillResult = 'gone' | 'alive' | 'no-dir' | 'no-pgid';
export interface AgentEnd {
  readonly reason: AgentEndReason;
  readonly message: string;
}

interface Pending {
  readonly onReply: (word: string, text: string) => void;
  readonly onGone: (err: AgentGoneError) => void;
  readonly timer: NodeJS.Timeout | undefined;
}

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
  readonly ended: Promise<AgentEnd>;
  private pid = 0;
  private gone: AgentEnd | undefined;
  private closing = false;
  private nextTag = 1;
  private hello: Buffer | undefined = Buffer.alloc(0);
  private readonly pending = new Map<number, Pending>();
  private readonly follows = new Map<string, FollowState>();
  private readonly parser = new AgentFrameParser((f) => this.frame(f));
  private finish: (end: AgentEnd) => void = () => undefined;
  private opened: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private stderrTail = '';

  private constructor(
    private readonly channel: ClientChannel,
    private readonly o: AgentSessionOptions,
  ) {
    this.ended = new Promise((resolve) => (this.finish = resolve));
  }

  /** Starts an agent on the connection and waits for its hello. */
  static async open(client: Client, o: AgentSessionOptions = {}): Promise<AgentSession> {
    let channel: ClientChannel;
    try {
      channel = await openExec(client, agentCommand(o.shell));
    } catch (err) {
      if (err instanceof DeckhandError && err.code === 'exec_refused')
        throw new AgentUnavailableError('exec_refused', 'The server refused to start the agent.', err);
      throw err;
    }
    const s = new AgentSession(channel, o);
    await s.handshake(o.startTimeoutMs ?? 20_000);
    return s;
  }

  /** The agent's pid on the server. */
  get remotePid(): number {
    return this.pid;
  }

  get alive(): boolean {
    return this.gone === undefined;
  }

  private handshake(timeoutMs: number): Promise<void> {
    const ch = this.channel;
    ch.on('data', (d: Buffer) => this.data(d));
    ch.stderr.on('data', (d: Buffer) => {
      const text = d.toString('utf8');
      this.stderrTail = (this.stderrTail + text).slice(-2000);
      for (const line of text.split('\n')) if (line.trim()) this.o.onStderr?.(printable(line));
    });
    // A write racing the channel's end must not become an unhandled 'error' event: the close that follows ends us.
    ch.on('error', (err: Error) => this.end('exited', `the agent's channel failed: ${err.message}`));
    ch.on('close', () => {
      const code = exitStatusOf(ch).code;
      if (this.opened) this.fail(exitedBeforeHello(code, this.stderrTail));
      this.end(this.closing ? 'closed' : 'exited', `the agent's channel closed (exit status ${code ?? 'none'})`);
    });
    ch.write(agentBootstrap());
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(noAnswer(timeoutMs)), timeoutMs);
      this.opened = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
    });
  }

  /** Opening failed: close the channel, whatever runs on it. */
  private fail(err: AgentUnavailableError): void {
    const o = this.opened;
    this.opened = undefined;
    o?.reject(err);
    this.end('exited', err.message);
  }

  private data(d: Buffer): void {
    if (this.gone) return;
    try {
      if (this.hello !== undefined) {
        this.hello = Buffer.concat([this.hello, d]);
        const h = readHello(this.hello);
        if (!h) return;
        this.hello = undefined;
        if ('error' in h) return this.fail(h.error);
        this.pid = h.pid;
        const o = this.opened;
        this.opened = undefined;
        o?.resolve();
        d = h.rest;
      }
      if (d.length) this.parser.push(d);
    } catch (err) {
      if (!(err instanceof AgentProtocolError)) throw err;
      this.end('protocol', `the agent sent something unreadable: ${err.message}`);
    }
  }

  private frame(f: AgentFrame): void {
    if (f.type === 'reply') {
      const p = this.pending.get(f.tag);
      if (!p) return;
      this.pending.delete(f.tag);
      if (p.timer) clearTimeout(p.timer);
      p.onReply(f.word, f.text);
      return;
    }
    if (f.type === 'hello') throw new AgentProtocolError('a second hello');
    const st = this.follows.get(f.job);
    if (!st) return;
    if (!st.frame(f)) throw new AgentProtocolError(`data for ${f.job} does not continue where it ended`);
    if (f.type === 'exit' || f.type === 'lost') this.follows.delete(f.job);
  }

  /** Sends one request line, built around its tag, and waits for the answer. */
  private request(line: (tag: number) => string, timeoutMs: number): Promise<{ word: string; text: string }> {
    if (this.gone) return Promise.reject(this.goneError());
    const tag = this.nextTag++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(tag);
        reject(new AgentGoneError('timeout', `The agent did not answer within ${timeoutMs} ms.`));
        // An agent that stops answering cannot be trusted with the jobs it follows: let a new one take over.
        this.end('timeout', `a request got no answer within ${timeoutMs} ms`);
      }, timeoutMs);
      this.pending.set(tag, { onReply: (word, text) => resolve({ word, text }), onGone: reject, timer });
      this.channel.write(line(tag));
    });
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
    const r = await this.request((t) => `launch ${t} ${spec.jobId} ${fields}\n`, this.o.requestTimeoutMs ?? 30_000);
    if (r.word === 'launched') return { launched: true, pid: Number(r.text) };
    if (r.word === 'exists') return { launched: false, pid: r.text ? Number(r.text) : undefined };
    throw new AgentRequestError('launch the command', r.text || r.word);
  }

  /** Streams the job's output from the given offsets, then its exit status (or why its outcome is unknown). */
  follow(jobId: string, from: Offsets, onEvent: OnFrameEvent): FollowHandle {
    checkId(jobId);
    if (this.follows.has(jobId))
      throw new DeckhandError('invalid_argument', `Job ${jobId} is already followed through this agent.`);
    const st = new FollowState(jobId, from, onEvent, (s) => this.stop(s));
    if (this.gone) {
      st.end({ kind: 'gone', error: this.goneError() });
      return st;
    }
    this.follows.set(jobId, st);
    // A follow is answered only if the agent refuses it; its data and end come as the job's own frames.
    const tag = this.nextTag++;
    const refused = (_word: string, text: string) => {
      if (this.follows.get(jobId) === st) this.follows.delete(jobId);
      st.end({ kind: 'failed', error: new AgentRequestError('follow the job', text) });
    };
    this.pending.set(tag, { onReply: refused, onGone: () => undefined, timer: undefined });
    void st.done.then(() => this.pending.delete(tag));
    this.channel.write(`follow ${tag} ${jobId} ${Math.floor(from.out)} ${Math.floor(from.err)}\n`);
    return st;
  }

  /**
   * launch() and follow() sent together (no round trip between them): the start script's job in one go. A launch
   * reports the runner's pid to `onEvent`, as the start script's P frame does.
   */
  start(
    spec: StartSpec,
    from: Offsets,
    onEvent: OnFrameEvent,
  ): { follow: FollowHandle; launch: Promise<LaunchResult> } {
    const launch = this.launch(spec);
    const follow = this.follow(spec.jobId, from, onEvent);
    const st = follow as FollowState;
    // The agent may see a short command end before it reads the launch's own note: its pid comes first all the same.
    st.hold();
    const reported = launch.then(
      (r) => {
        if (r.launched) st.deliverPid(r.pid);
        st.release();
        return r;
      },
      async (err: unknown) => {
        st.release();
        await follow.unfollow().catch(() => undefined);
        st.end({ kind: 'failed', error: err });
        throw err;
      },
    );
    return { follow, launch: reported };
  }

  private async stop(st: FollowState): Promise<void> {
    if (this.follows.get(st.jobId) !== st) return;
    try {
      await this.request((t) => `unfollow ${t} ${st.jobId}\n`, this.o.requestTimeoutMs ?? 30_000);
    } finally {
      if (this.follows.get(st.jobId) === st) this.follows.delete(st.jobId);
      st.end({ kind: 'unfollowed' });
    }
  }

  /** TERM the job's process group, KILL after `graceS`, and confirm it is gone (killCommand's steps). */
  async kill(jobId: string, graceS: number): Promise<KillResult> {
    checkId(jobId);
    const ticks = Math.max(1, Math.round(graceS * 10));
    const r = await this.request((t) => `kill ${t} ${jobId} ${ticks}\n`, ticks * 100 + 20_000);
    if (r.word === 'gone' || r.word === 'alive' || r.word === 'no-dir' || r.word === 'no-pgid') return r.word;
    throw new AgentRequestError('kill the job', r.text || r.word);
  }

  /** Removes the job's directory (if given) and sweeps failed jobs' directories older than `keepMinutes` (if given). */
  async cleanup(jobId: string | undefined, keepMinutes: number | undefined): Promise<void> {
    if (jobId !== undefined) checkId(jobId);
    const keep = keepMinutes === undefined ? '-' : String(Math.max(1, Math.floor(keepMinutes)));
    const r = await this.request((t) => `cleanup ${t} ${jobId ?? '-'} ${keep}\n`, 120_000);
    if (r.word !== 'ok') throw new AgentRequestError('clean up', r.text || r.word);
  }

  /** A round trip through the reader and the poller; returns it in milliseconds. */
  async ping(timeoutMs = this.o.requestTimeoutMs ?? 10_000): Promise<number> {
    const t = performance.now();
    await this.request((t) => `ping ${t}\n`, timeoutMs);
    return performance.now() - t;
  }

  /** Ends the agent. Jobs keep running on the server; follows end `gone` (reason `closed`). */
  async close(): Promise<void> {
    if (this.gone) return;
    this.closing = true;
    this.channel.end('quit 0\n');
    const timer = setTimeout(() => this.channel.close(), 2000);
    try {
      await this.ended;
    } finally {
      clearTimeout(timer);
    }
  }

  private goneError(): AgentGoneError {
    const g = this.gone ?? { reason: 'exited' as const, message: 'the agent ended' };
    return new AgentGoneError(g.reason, `The agent on the server is gone: ${g.message}.`);
  }

  private end(reason: AgentEndReason, message: string): void {
    if (this.gone) return;
    this.gone = { reason, message };
    const err = this.goneError();
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.onGone(err);
    }
    this.pending.clear();
    for (const st of this.follows.values()) {
      // An end already received counts for more than the agent's.
      st.release();
      st.end({ kind: 'gone', error: err });
    }
    this.follows.clear();
    this.channel.close();
    this.finish(this.gone);
  }
}

function checkId(id: string): void {
  if (!isAgentJobId(id))
    throw new DeckhandError(
      'invalid_argument',
      `"${id.slice(0, 40)}" is not a job id the agent takes ([A-Za-z0-9_], 1 to 100).`,
    );
}
