import type { Client } from 'ssh2';
import { AgentUnavailableError, type AgentEndReason, type AgentUnavailableReason } from './errors.js';
import { AgentSession, type AgentSessionOptions } from './session.js';

export type AgentEvent =
  | { type: 'started'; server: string; pid: number; ms: number }
  /** Said once per server for the life of this object: its commands take the exec path from now on. */
  | { type: 'unavailable'; server: string; reason: AgentUnavailableReason; message: string }
  | { type: 'ended'; server: string; pid: number; reason: AgentEndReason; message: string };

export interface AgentSessionsOptions {
  readonly session?: AgentSessionOptions;
  readonly onEvent?: (event: AgentEvent) => void;
  /** Agents that may end on their own on one connection before it stops starting new ones there (default 3). */
  readonly maxRestarts?: number;
  /** How an agent is started (a test can count or fail starts). */
  readonly open?: (client: Client, o: AgentSessionOptions) => Promise<AgentSession>;
}

interface Entry {
  current: Promise<AgentSession | undefined> | undefined;
  restarts: number;
  disabled: boolean;
}

/**
 * One agent per pooled connection, started on first use. `get()` answers undefined when no agent can run there
 * (a ForceCommand, no sh, a restricted shell, or agents that keep dying): the caller then takes the per-command exec
 * path, and this says so once per server through `onEvent`. An agent that ended is replaced at the next `get()`.
 */
export class AgentSessions {
  private readonly entries = new Map<Client, Entry>();
  private readonly reported = new Set<string>();

  constructor(private readonly o: AgentSessionsOptions = {}) {}

  /** The connection's agent, started if need be; undefined: use the exec path. Connection errors are thrown. */
  async get(server: string, client: Client): Promise<AgentSession | undefined> {
    let entry = this.entries.get(client);
    if (!entry) {
      const created: Entry = { current: undefined, restarts: 0, disabled: false };
      entry = created;
      this.entries.set(client, created);
      // The agent's channel dies with the connection; forget the connection with it.
      client.once('close', () => {
        if (this.entries.get(client) === created) this.entries.delete(client);
      });
    }
    for (;;) {
      if (entry.disabled) return undefined;
      const pending = entry.current;
      if (!pending) break;
      const s = await pending;
      if (s?.alive) return s;
      // Lets the end's own bookkeeping (restarts, disabling) run first: it was registered earlier.
      if (s) await s.ended;
      // A start that found no agent can run here disabled the connection: do not try again.
      if (entry.disabled) return undefined;
      if (entry.current === pending) {
        entry.current = undefined;
        break;
      }
    }
    const started = this.start(server, client, entry);
    entry.current = started;
    return started;
  }

  /**
   * As get(), but a connection with no agent yet does not wait for one: its start begins beside this command, which
   * takes the exec path (undefined), so a connection's first command costs what it did without agents.
   */
  async ready(server: string, client: Client): Promise<AgentSession | undefined> {
    const entry = this.entries.get(client);
    if (entry?.disabled) return undefined;
    if (entry?.current) return this.get(server, client);
    // Owned by the entry (closeAll waits for it); a connection error here is the next command's to meet.
    this.get(server, client).catch(() => undefined);
    return undefined;
  }

  private async start(server: string, client: Client, entry: Entry): Promise<AgentSession | undefined> {
    const t = performance.now();
    const opts = this.o.session ?? {};
    let s: AgentSession;
    try {
      s = await (this.o.open ?? ((c, o) => AgentSession.open(c, o)))(client, opts);
    } catch (err) {
      if (!(err instanceof AgentUnavailableError)) {
        entry.current = undefined;
        throw err;
      }
      this.disable(server, entry, err.reason, err.message);
      return undefined;
    }
    this.o.onEvent?.({ type: 'started', server, pid: s.remotePid, ms: Math.round(performance.now() - t) });
    void s.ended.then((end) => {
      if (end.reason === 'closed') return;
      this.o.onEvent?.({ type: 'ended', server, pid: s.remotePid, reason: end.reason, message: end.message });
      entry.restarts++;
      if (entry.restarts >= (this.o.maxRestarts ?? 3))
        this.disable(server, entry, 'exited', `The agent ended ${entry.restarts} times on one connection.`);
    });
    return s;
  }

  private disable(server: string, entry: Entry, reason: AgentUnavailableReason, message: string): void {
    entry.disabled = true;
    if (this.reported.has(server)) return;
    this.reported.add(server);
    this.o.onEvent?.({ type: 'unavailable', server, reason, message });
  }

  /** Ends every agent (their jobs keep running on the servers). */
  async closeAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(
      all.map(async (e) => {
        const s = await e.current?.catch(() => undefined);
        await s?.close();
      }),
    );
  }
}
