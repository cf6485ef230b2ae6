import { AgentUnavailableError } from './errors.js';
import { AGENT_PROTOCOL } from './script.js';

/**
 * Reads what the channel says before the agent's hello. sshd may run something else than our command (a ForceCommand,
 * a restricted shell, a missing sh): the first line tells. Returns undefined while the line is incomplete.
 */
export type HelloOutcome = { pid: number; rest: Buffer } | { error: AgentUnavailableError };

export function readHello(buffered: Buffer): HelloOutcome | undefined {
  const nl = buffered.indexOf(10);
  if (nl < 0) {
    if (buffered.length <= 512) return undefined;
    return { error: unexpected(buffered) };
  }
  const line = buffered.subarray(0, nl).toString('latin1');
  const rest = buffered.subarray(nl + 1);
  const hello = /^H deckhand-agent (\d+) (\d+)$/.exec(line);
  if (hello) {
    const protocol = Number(hello[1]);
    if (protocol !== AGENT_PROTOCOL)
      return {
        error: new AgentUnavailableError(
          'protocol',
          `The agent on the server speaks protocol ${protocol}, this deckhand speaks ${AGENT_PROTOCOL}.`,
        ),
      };
    return { pid: Number(hello[2]), rest };
  }
  if (line.startsWith('F ')) {
    return {
      error: new AgentUnavailableError(
        'setup_failed',
        `The agent could not set itself up on the server: ${printable(line.slice(2))}.`,
      ),
    };
  }
  return { error: unexpected(buffered) };
}

function unexpected(buffered: Buffer): AgentUnavailableError {
  return new AgentUnavailableError(
    'unexpected_output',
    `Something other than the agent answered on the server (a ForceCommand or a login banner?): "${printable(buffered.subarray(0, 120).toString('utf8'))}".`,
  );
}

/** The channel ended before the hello: its exit status and stderr say why (127: no sh; a restricted shell says so). */
export function exitedBeforeHello(code: number | null, stderr: string): AgentUnavailableError {
  const said = printable(stderr.trim().slice(0, 300));
  return new AgentUnavailableError(
    'exited',
    `The agent exited before it started (exit status ${code ?? 'unknown'})${said ? `: ${said}` : ''}.`,
  );
}

export function noAnswer(ms: number): AgentUnavailableError {
  return new AgentUnavailableError('no_answer', `The agent did not answer within ${ms} ms of being started.`);
}

/** Text from the server, made safe for a log line. */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}
