import { DeckhandError } from '../../errors.js';

/**
 * Why no agent runs on a connection:
 *   exec_refused       sshd refused the exec request (e.g. a subsystem-only account)
 *   exited             the channel ended before the agent said hello (no sh, a restricted shell, a ForceCommand that exits)
 *   unexpected_output  something else answered (a ForceCommand that prints, a shell banner on stdout)
 *   setup_failed       the agent started but could not set itself up (it says why: no FIFO, printf not a builtin…)
 *   no_answer          nothing came back in time
 *   protocol           an agent of another protocol version answered
 */
export type AgentUnavailableReason =
  'exec_refused' | 'exited' | 'unexpected_output' | 'setup_failed' | 'no_answer' | 'protocol';

/** The agent cannot run on this connection: run commands through per-command exec channels instead. */
export class AgentUnavailableError extends DeckhandError {
  constructor(
    readonly reason: AgentUnavailableReason,
    message: string,
    cause?: unknown,
  ) {
    super('agent_unavailable', message, {
      hint: 'deckhand runs each command on its own SSH channel instead (slower where the login shell is slow); nothing to do unless that is unexpected.',
      cause,
    });
    this.name = 'AgentUnavailableError';
  }
}

/**
 * Why an agent that was running is gone:
 *   closed      close() was called                 exited      its channel ended (killed, or the connection dropped)
 *   protocol    it sent something unreadable       timeout     a request got no answer in time (it was then closed)
 */
export type AgentEndReason = 'closed' | 'exited' | 'protocol' | 'timeout';

/** A request could not complete because the agent ended first. Jobs it launched keep running on the server. */
export class AgentGoneError extends DeckhandError {
  constructor(
    readonly reason: AgentEndReason,
    message: string,
    cause?: unknown,
  ) {
    super('agent_gone', message, {
      hint: 'Jobs keep running on the server: follow them again from their offsets (through a new agent or the exec path).',
      cause,
    });
    this.name = 'AgentGoneError';
  }
}

/** The agent answered a request with an error of its own (a bad request, or the job directory could not be made). */
export class AgentRequestError extends DeckhandError {
  constructor(what: string, detail: string) {
    super('agent_request_failed', `The agent on the server could not ${what}: ${detail.replace(/-/g, ' ')}.`, {
      hint: 'Check the server: disk space and the permissions of ~/.deckhand/jobs.',
    });
    this.name = 'AgentRequestError';
  }
}
