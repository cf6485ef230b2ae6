import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'deckhand_dashboard';

export interface Session {
  readonly id: string;
  /** Sent back in every form; an action without it is refused (CSRF). */
  readonly csrf: string;
  readonly expiresAt: number;
  /** Who logged in, as approvals and the audit log name them ("dashboard:alice@127.0.0.1"). */
  readonly person: string;
}

export interface SessionOptions {
  /** The bearer token a person types into the login form. */
  readonly token: string;
  readonly ttlMs?: number;
  readonly maxSessions?: number;
  /** Failed logins allowed per minute before the form answers "too many attempts". */
  readonly maxFailuresPerMinute?: number;
  readonly now?: () => number;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * Logged-in browsers. Sessions live in this process's memory: a restart or a logout ends them, and the token never
 * leaves the login request (the cookie holds a random id, not the token). Expired sessions are dropped as they are
 * met, so no timer is needed.
 */
export class DashboardSessions {
  private readonly sessions = new Map<string, Session>();
  private failures: number[] = [];
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly o: SessionOptions) {
    this.ttlMs = o.ttlMs ?? 12 * 3600_000;
    this.now = o.now ?? Date.now;
  }

  /** A new session when the token is right; 'throttled' after too many wrong ones in the last minute. */
  login(candidate: string, person = 'dashboard'): Session | 'wrong' | 'throttled' {
    const now = this.now();
    this.failures = this.failures.filter((t) => now - t < 60_000);
    if (this.failures.length >= (this.o.maxFailuresPerMinute ?? 20)) return 'throttled';
    if (!sameSecret(candidate, this.o.token)) {
      this.failures.push(now);
      return 'wrong';
    }
    const session: Session = {
      id: randomBytes(32).toString('base64url'),
      csrf: randomBytes(32).toString('base64url'),
      expiresAt: now + this.ttlMs,
      person,
    };
    const max = this.o.maxSessions ?? 1000;
    // The oldest session makes room: Maps iterate in insertion order.
    while (this.sessions.size >= max) this.sessions.delete(this.sessions.keys().next().value as string);
    this.sessions.set(session.id, session);
    return session;
  }

  /** The session a request's cookie names, if it is known and current. */
  fromCookie(cookieHeader: string | undefined): Session | undefined {
    const id = readCookie(cookieHeader, SESSION_COOKIE);
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return s;
  }

  logout(id: string): void {
    this.sessions.delete(id);
  }

  /** The Set-Cookie value for a session: HttpOnly (no script reads it), SameSite=Strict, the whole site. */
  cookieFor(s: Session, secure: boolean): string {
    const maxAge = Math.max(0, Math.floor((s.expiresAt - this.now()) / 1000));
    return `${SESSION_COOKIE}=${s.id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
  }

  static clearCookie(secure: boolean): string {
    return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
  }
}

/** Constant-time check of a form's CSRF field against the session's. */
export function csrfMatches(session: Session, given: string | null | undefined): boolean {
  return typeof given === 'string' && given.length > 0 && sameSecret(given, session.csrf);
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
