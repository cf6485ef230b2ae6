import type { Client, ClientChannel } from 'ssh2';
import { DeckhandError } from '../../errors.js';
import { exitStatusOf, openExec } from '../../ssh/exec.js';
import { AgentGoneError, AgentUnavailableError, type AgentEndReason } from './errors.js';
import { exitedBeforeHello, noAnswer, printable, readHello } from './handshake.js';
import { AgentFrameParser, AgentProtocolError, type AgentFrame } from './protocol.js';
import { agentBootstrap, agentCommand } from './script.js';

export interface AgentChannelOptions {
  /** The remote shell that runs the agent: `sh` (default), `bash`, `/bin/busybox sh`… */
  readonly shell?: string;
  /** From the exec request to the agent's hello: the login shell's start-up is in it. */
  readonly startTimeoutMs?: number;
  /** Lines the agent writes on stderr (it should write none). */
  readonly onStderr?: (line: string) => void;
}

export interface AgentEnd {
  readonly reason: AgentEndReason;
  readonly message: string;
}

/** A frame about one job (data, pid, exit, lost). */
export type JobFrame = Exclude<AgentFrame, { type: 'hello' } | { type: 'reply' }>;

interface Pending {
  readonly onReply: (word: string, text: string) => void;
  readonly onGone: (err: AgentGoneError) => void;
  readonly timer: NodeJS.Timeout | undefined;
}

/**
 * The agent's exec channel: starts the agent, matches answers to requests by tag, hands job frames on, and ends once
 * (closed, exited, unreadable, or a request unanswered in time); everything in flight then fails with AgentGoneError.
 */
export class AgentChannel {
  readonly ended: Promise<AgentEnd>;
  private pid = 0;
  private gone: AgentEnd | undefined;
  private closing = false;
  private nextTag = 1;
  private hello: Buffer | undefined = Buffer.alloc(0);
  private readonly pending = new Map<number, Pending>();
  private readonly parser = new AgentFrameParser((f) => this.frame(f));
  private finish: (end: AgentEnd) => void = () => undefined;
  private opened: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private stderrTail = '';

  private constructor(
    private readonly channel: ClientChannel,
    private readonly o: AgentChannelOptions,
    private readonly onJobFrame: (f: JobFrame) => void,
    private readonly onEnd: (err: AgentGoneError) => void,
  ) {
    this.ended = new Promise((resolve) => (this.finish = resolve));
  }

  /** Starts an agent on the connection and waits for its hello; AgentUnavailableError if none can run there. */
  static async open(
    client: Client,
    o: AgentChannelOptions,
    onJobFrame: (f: JobFrame) => void,
    onEnd: (err: AgentGoneError) => void,
  ): Promise<AgentChannel> {
    let channel: ClientChannel;
    try {
      channel = await openExec(client, agentCommand(o.shell));
    } catch (err) {
      if (err instanceof DeckhandError && err.code === 'exec_refused')
        throw new AgentUnavailableError('exec_refused', 'The server refused to start the agent.', err);
      throw err;
    }
    const c = new AgentChannel(channel, o, onJobFrame, onEnd);
    await c.handshake(o.startTimeoutMs ?? 20_000);
    return c;
  }

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
      const settled = () => {
        clearTimeout(timer);
        this.opened = undefined;
      };
      this.opened = {
        resolve: () => {
          settled();
          resolve();
        },
        reject: (err) => {
          settled();
          reject(err);
        },
      };
    });
  }

  /** Opening failed: close the channel, whatever runs on it. */
  private fail(err: AgentUnavailableError): void {
    this.opened?.reject(err);
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
        this.opened?.resolve();
        d = h.rest;
      }
      if (d.length) this.parser.push(d);
    } catch (err) {
      if (!(err instanceof AgentProtocolError)) throw err;
      this.end('protocol', `the agent sent something unreadable: ${err.message}`);
    }
  }

  private frame(f: AgentFrame): void {
    if (f.type === 'hello') throw new AgentProtocolError('a second hello');
    if (f.type !== 'reply') return this.onJobFrame(f);
    const p = this.pending.get(f.tag);
    if (!p) return;
    this.pending.delete(f.tag);
    if (p.timer) clearTimeout(p.timer);
    p.onReply(f.word, f.text);
  }

  /** Sends one request line, built around its tag, and waits for the answer. */
  request(line: (tag: number) => string, timeoutMs: number): Promise<{ word: string; text: string }> {
    return new Promise((resolve, reject) => {
      const tag = this.send(line, (word, text) => resolve({ word, text }), reject, timeoutMs);
      if (tag === undefined) reject(this.goneError());
    });
  }

  /**
   * Sends one request line; `onReply` gets its answer, if one comes. Without `timeoutMs` nothing waits for it (a
   * follow is answered only when refused): forget() the tag when it no longer matters. Undefined if the agent is gone.
   */
  send(
    line: (tag: number) => string,
    onReply: (word: string, text: string) => void,
    onGone: (err: AgentGoneError) => void = () => undefined,
    timeoutMs?: number,
  ): number | undefined {
    if (this.gone) return undefined;
    const tag = this.nextTag++;
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            this.pending.delete(tag);
            onGone(new AgentGoneError('timeout', `The agent did not answer within ${timeoutMs} ms.`));
            // An agent that stops answering cannot be trusted with the jobs it follows: let a new one take over.
            this.end('timeout', `a request got no answer within ${timeoutMs} ms`);
          }, timeoutMs);
    this.pending.set(tag, { onReply, onGone, timer });
    this.channel.write(line(tag));
    return tag;
  }

  /** Stops reading the channel (SSH's window then stops the agent) until resume(). */
  pause(): void {
    this.channel.pause();
  }

  resume(): void {
    this.channel.resume();
  }

  forget(tag: number): void {
    const p = this.pending.get(tag);
    if (p?.timer) clearTimeout(p.timer);
    this.pending.delete(tag);
  }

  /** Ends the agent: it stops at the end of its input. */
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

  goneError(): AgentGoneError {
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
    this.onEnd(err);
    this.channel.close();
    this.finish(this.gone);
  }
}
