import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';

export interface GuardVerdict {
  readonly status: number;
  readonly message: string;
  readonly headers?: Record<string, string>;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]', '::1'];

export function isLoopbackHost(host: string): boolean {
  // Only an address literal is loopback by its shape: "127.evil.example" is a DNS name that can point anywhere.
  return LOOPBACK_NAMES.includes(host.toLowerCase()) || (isIPv4(host) && host.startsWith('127.'));
}

/**
 * The Host header names we answer to: the loopback names, the address we are bound to when it is a specific
 * one, and the operator's extra names (DECKHAND_HTTP_ALLOWED_HOSTS adds to these, it does not replace them).
 */
export function allowedHostsFor(bindHost: string, extra: readonly string[] = []): string[] {
  const bound = isLoopbackHost(bindHost) || bindHost === '0.0.0.0' || bindHost === '::' ? [] : [bindHost];
  // Host headers carry IPv6 literals in brackets ("[fd00::1]:8765"), so the list does too.
  const names = ['localhost', '127.0.0.1', '[::1]', ...bound, ...extra].map((h) =>
    isIPv6(h) ? `[${h.toLowerCase()}]` : h.toLowerCase(),
  );
  return [...new Set(names)];
}

function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  return hostHeader.split(':')[0] ?? '';
}

/**
 * DNS-rebinding protection: a browser page on evil.example that resolves to 127.0.0.1 still sends
 * `Host: evil.example` and `Origin: http://evil.example`, so both are checked against what we serve.
 */
export function checkHostAndOrigin(
  req: IncomingMessage,
  allowedHosts: readonly string[],
  allowedOrigins: readonly string[],
): GuardVerdict | undefined {
  const host = req.headers.host;
  if (!host) return { status: 403, message: 'Missing Host header.' };
  const hostname = hostnameOf(host).toLowerCase();
  if (!allowedHosts.includes(hostname)) {
    return {
      status: 403,
      message: `Host "${host}" is not allowed. Allowed hosts: ${allowedHosts.join(', ')} (set DECKHAND_HTTP_ALLOWED_HOSTS).`,
    };
  }
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let originHost: string;
    try {
      originHost = new URL(origin).hostname.toLowerCase();
    } catch {
      return { status: 403, message: `Origin "${origin}" is not a valid origin.` };
    }
    const bracketed = originHost.includes(':') && !originHost.startsWith('[') ? `[${originHost}]` : originHost;
    const ok = allowedOrigins.includes(origin) || allowedHosts.includes(bracketed) || allowedHosts.includes(originHost);
    if (!ok) return { status: 403, message: `Origin "${origin}" is not allowed (set DECKHAND_HTTP_ALLOWED_ORIGINS).` };
  }
  return undefined;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time bearer token check. */
export function checkBearer(req: IncomingMessage, token: string | undefined): GuardVerdict | undefined {
  const r = identifyBearer(req, token ? [{ name: 'default', token }] : []);
  return 'status' in r ? r : undefined;
}

/** A named token (config.http.tokens): the name is who the caller is, the value never leaves this check. */
export interface NamedToken {
  readonly name: string;
  readonly token: string;
}

/**
 * Which configured token the request carries, compared in constant time against every one (the time taken does not
 * say which matched, or how much of one). No tokens configured: anyone is let in (loopback only, see http.ts).
 */
export function identifyBearer<T extends NamedToken>(
  req: IncomingMessage,
  tokens: readonly T[],
): { readonly token: T | undefined } | GuardVerdict {
  if (tokens.length === 0) return { token: undefined };
  const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  const given = digest(m?.[1] ?? '');
  let found: T | undefined;
  for (const t of tokens) if (timingSafeEqual(given, digest(t.token)) && m) found ??= t;
  if (found) return { token: found };
  return {
    status: 401,
    message:
      'Missing or invalid bearer token: send "Authorization: Bearer <token>" with DECKHAND_HTTP_TOKEN or one of DECKHAND_HTTP_TOKENS.',
    headers: { 'WWW-Authenticate': 'Bearer realm="deckhand"' },
  };
}
