import type { Client } from 'ssh2';
import { openExec, run } from '../ssh/exec.js';
import type { AgentSession, AgentSessions } from './agent/index.js';
import { agentSource, channelSource, type Attach } from './follow.js';
import {
  cleanupCommand,
  followCommand,
  killCommand,
  startCommand,
  startPayload,
  type StartSpec,
  type SudoMode,
} from './protocol.js';

/**
 * The two ways a job reaches its server, for launching, following, killing and cleaning up: the connection's resident
 * agent (one login shell per connection), or an exec channel per step (a login shell each: the path used when no
 * agent can run there, for `fresh_shell`, and for sudo launches and kills). Both act on the same job directory, so
 * either can follow, kill or clean up what the other launched.
 */
export class RemotePaths {
  constructor(private readonly agents: AgentSessions | undefined) {}

  /**
   * The connection's agent; undefined: take the exec path. A connection's first command starts the agent beside it
   * (see AgentSessions.ready): the agent serves the commands after it. Never throws.
   */
  async agent(server: string, client: Client): Promise<AgentSession | undefined> {
    if (!this.agents) return undefined;
    try {
      return await this.agents.ready(server, client);
    } catch {
      // The agent's channel could not even open: the exec path meets the same connection and says what is wrong.
      return undefined;
    }
  }

  /**
   * Launches the command unless an earlier launch did (the job directory is the token), and follows it from `from`.
   * Through the agent unless the command must see a fresh login shell or runs through sudo (whose password the
   * start script feeds the runner).
   */
  async start(
    client: Client,
    agent: AgentSession | undefined,
    spec: StartSpec,
    from: { out: number; err: number },
    o: { freshShell: boolean; onStderr: (text: string) => void },
  ): Promise<Attach> {
    if (agent?.alive && !spec.sudo && !o.freshShell)
      return agentSource(agent, (onEvent) => agent.start(spec, from, onEvent).follow);
    const channel = await openExec(client, startCommand(spec.jobId));
    channel.end(startPayload(spec, from.out, from.err));
    return channelSource(channel, o.onStderr);
  }

  /** Follows a launched job from `from`. */
  async follow(
    client: Client,
    agent: AgentSession | undefined,
    id: string,
    from: { out: number; err: number },
    onStderr: (text: string) => void,
  ): Promise<Attach> {
    if (agent?.alive) return agentSource(agent, (onEvent) => agent.follow(id, from, onEvent));
    const channel = await openExec(client, followCommand(id, from.out, from.err));
    channel.end();
    return channelSource(channel, onStderr);
  }

  /** TERM, then KILL after `graceS`, the job's process group; true once it is confirmed gone. */
  async kill(
    client: Client,
    agent: AgentSession | undefined,
    id: string,
    graceS: number,
    sudo: SudoMode | undefined,
  ): Promise<boolean> {
    // A command run through sudo belongs to root: only the exec path's kill goes through sudo.
    if (agent?.alive && !sudo) {
      try {
        const r = await agent.kill(id, graceS);
        return r === 'gone' || r === 'no-dir';
      } catch {
        // The agent ended or could not: the exec path tries.
      }
    }
    try {
      const r = await run(client, killCommand(id, graceS, sudo?.kind), {
        timeoutMs: 30_000,
        ...(sudo?.kind === 'S' ? { stdin: `${sudo.password}\n` } : {}),
      });
      return /gone|no-dir/.test(r.stdout);
    } catch {
      return false;
    }
  }

  /** Removes a job's directory (if given) and sweeps failed jobs' directories older than `keepMinutes` (if given). */
  async cleanup(
    server: string,
    client: Client,
    id: string | undefined,
    keepMinutes: number | undefined,
  ): Promise<void> {
    const agent = await this.agent(server, client);
    if (agent?.alive) {
      try {
        return await agent.cleanup(id, keepMinutes);
      } catch {
        // The agent ended or could not: the exec path tries.
      }
    }
    await run(client, cleanupCommand(id, keepMinutes), { timeoutMs: 60_000 });
  }
}
