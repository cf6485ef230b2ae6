import { createHash } from 'node:crypto';
import { DeckhandError } from '../errors.js';
import { expandTilde } from './ssh-config-read.js';

/** The values OpenSSH substitutes for `%x` tokens in IdentityFile, UserKnownHostsFile and similar paths. */
export interface TokenValues {
  /** %h: the remote host name (after HostName). */
  readonly hostName: string;
  /** %n: the name as given (the alias). */
  readonly originalHost: string;
  /** %p */
  readonly port: number;
  /** %r: the remote user. */
  readonly user: string;
  /** %u: the local user. */
  readonly localUser: string;
  /** %d: the local user's home. */
  readonly home: string;
  /** %l: the local host name (%L: up to its first dot). */
  readonly localHostName: string;
  /** %i: the local uid. */
  readonly uid: number;
  /** %k: HostKeyAlias, or the name as given. */
  readonly keyAlias: string;
  /** %j: the ProxyJump value, '' when none. */
  readonly proxyJump: string;
}

/** `%h` and `%%` only: what HostName accepts. */
export function expandHostName(value: string, originalHost: string, at: string): string {
  return expandPercent(value, { h: originalHost }, at);
}

/**
 * `~`, then `%` tokens and `${VAR}` environment references, as OpenSSH expands a path before using it
 * (`ssh -G` prints such paths unexpanded; these are what the client actually opens).
 */
export function expandPath(
  value: string,
  t: TokenValues,
  env: Readonly<Record<string, string | undefined>>,
  at: string,
): string {
  const tokens: Record<string, string> = {
    C: createHash('sha1').update(`${t.localHostName}${t.hostName}${t.port}${t.user}`).digest('hex'),
    d: t.home,
    h: t.hostName,
    i: String(t.uid),
    j: t.proxyJump,
    k: t.keyAlias,
    L: t.localHostName.split('.')[0] ?? t.localHostName,
    l: t.localHostName,
    n: t.originalHost,
    p: String(t.port),
    r: t.user,
    u: t.localUser,
  };
  const withEnv = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const v = env[name];
    if (v === undefined) {
      throw new DeckhandError('ssh_config_invalid', `${at}: the environment variable ${name} is not set.`, {
        hint: `Set ${name} in deckhand's environment, or write the path out in the ssh config.`,
      });
    }
    return v;
  });
  return expandPercent(expandTilde(withEnv, t.home), tokens, at);
}

function expandPercent(value: string, tokens: Readonly<Record<string, string>>, at: string): string {
  return value.replace(/%(.?)/g, (_m, k: string) => {
    if (k === '%') return '%';
    const v = tokens[k];
    if (v === undefined) {
      throw new DeckhandError('ssh_config_invalid', `${at}: unknown token %${k} in "${value}".`, {
        hint: 'Use one of the tokens ssh_config(5) lists for this keyword, or %% for a literal %.',
      });
    }
    return v;
  });
}

/** One hop of a ProxyJump value; user and port only when the value names them (else the hop's own config decides). */
export interface JumpSpec {
  readonly host: string;
  readonly user?: string;
  readonly port?: number;
}

/** `[user@]host[:port]` or `ssh://[user@]host[:port]`, comma-separated; IPv6 addresses in brackets. */
export function parseProxyJump(value: string, at: string): JumpSpec[] {
  if (value.toLowerCase() === 'none') return [];
  return value.split(',').map((raw) => {
    const s = raw.trim().replace(/^ssh:\/\//i, '');
    const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:@[\]]+)(?::(\d+))?$/.exec(s);
    if (!m) throw invalidJump(at, raw);
    const port = m[3] === undefined ? undefined : Number(m[3]);
    if (port !== undefined && (port < 1 || port > 65535)) throw invalidJump(at, raw);
    const host = (m[2] as string).replace(/^\[|\]$/g, '');
    return { host, ...(m[1] ? { user: m[1] } : {}), ...(port !== undefined ? { port } : {}) };
  });
}

function invalidJump(at: string, raw: string): DeckhandError {
  return new DeckhandError('ssh_config_invalid', `${at}: cannot read the ProxyJump hop "${raw}".`, {
    hint: 'Write each hop as [user@]host[:port], separated by commas.',
  });
}
