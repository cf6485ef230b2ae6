import { DeckhandError } from '../errors.js';

export interface Target {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
}

/** Turns what ssh2 and the socket layer throw into errors that tell the user what to do. */
export function classifyConnectError(err: unknown, t: Target, triedMethods: readonly string[]): DeckhandError {
  if (err instanceof DeckhandError) return err;
  const e = err as NodeJS.ErrnoException & { level?: string };
  const where = `${t.user}@${t.host}:${t.port} (server "${t.name}")`;
  const code = e?.code;
  if (code === 'ECONNREFUSED') {
    return new DeckhandError('connection_refused', `Connection refused by ${where}.`, {
      hint: 'Check that sshd is running and listening on that port, and that no firewall rejects it.',
      cause: err,
    });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new DeckhandError('dns_failure', `Cannot resolve host name "${t.host}" for server "${t.name}".`, {
      hint: 'Check the spelling, or register the server by IP address.',
      cause: err,
    });
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return new DeckhandError('host_unreachable', `No route to ${where}.`, {
      hint: 'Check the address and the network between deckhand and the server.',
      cause: err,
    });
  }
  if (e?.level === 'client-timeout' || code === 'ETIMEDOUT') {
    return new DeckhandError('connect_timeout', `Timed out connecting to ${where}.`, {
      hint: 'The host did not complete the SSH handshake in time: check that it is up and that the port is reachable (raise DECKHAND_CONNECT_TIMEOUT_S for slow links).',
      cause: err,
    });
  }
  if (e?.level === 'client-authentication') {
    const tried = triedMethods.length ? triedMethods.join(', ') : 'none';
    return new DeckhandError('auth_failed', `Authentication failed for ${where}; methods tried: ${tried}.`, {
      hint: `Check that the key's public half is in ~${t.user}/.ssh/authorized_keys on the server, that the user is right, and that the passphrase/password environment variable is set in deckhand's environment.`,
      cause: err,
    });
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new DeckhandError('connection_lost', `The connection to ${where} was reset.`, {
      hint: 'The server or a network device dropped it; try again.',
      cause: err,
    });
  }
  return new DeckhandError('ssh_error', `SSH error with ${where}: ${e?.message ?? String(err)}`, {
    hint: 'Check the server and try again.',
    cause: err,
  });
}
