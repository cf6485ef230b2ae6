import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { compilePattern, type CompiledPattern } from './patterns.js';
import { policyPattern } from './schema.js';

/**
 * A person's time-boxed approval: "this pattern, on this server, for N minutes", so that a run of related steps
 * asks once. Grants only lift `ask`; they never open a read-only server and never beat a deny pattern.
 */
export interface Grant {
  readonly id: string;
  readonly server: string;
  readonly pattern: string;
  /** Who approved it: a CLI user, a dashboard login, or the person behind an elicitation. */
  readonly granted_by: string;
  readonly granted_at: string;
  readonly expires_at: string;
}

/** The longest a grant may last; anything longer belongs in the server's allow list. */
export const MAX_GRANT_MINUTES = 24 * 60;

export const grantSchema = z
  .object({
    id: z.string().min(1).max(100),
    server: z.string().min(1).max(63),
    pattern: policyPattern,
    granted_by: z.string().min(1).max(200),
    granted_at: z.string().datetime(),
    expires_at: z.string().datetime(),
  })
  .strict();

export interface GrantRequest {
  readonly id: string;
  readonly server: string;
  readonly pattern: string;
  readonly grantedBy: string;
  readonly minutes: number;
  readonly now: Date;
}

export function makeGrant(req: GrantRequest): Grant {
  if (!Number.isInteger(req.minutes) || req.minutes < 1 || req.minutes > MAX_GRANT_MINUTES) {
    throw new ValidationError(
      `A grant lasts 1 to ${MAX_GRANT_MINUTES} whole minutes; got ${req.minutes}.`,
      'For longer, add the pattern to the server policy\'s "allow" list.',
    );
  }
  compilePattern(req.pattern);
  return Object.freeze({
    id: req.id,
    server: req.server,
    pattern: req.pattern,
    granted_by: req.grantedBy,
    granted_at: req.now.toISOString(),
    expires_at: new Date(req.now.getTime() + req.minutes * 60_000).toISOString(),
  });
}

export interface ActiveGrant {
  readonly grant: Grant;
  readonly pattern: CompiledPattern;
}

/** The grants for this server that have not expired at `now`. A grant whose pattern no longer compiles is skipped. */
export function activeGrants(grants: readonly Grant[], server: string, now: Date): ActiveGrant[] {
  const out: ActiveGrant[] = [];
  for (const grant of grants) {
    if (grant.server !== server) continue;
    const expires = Date.parse(grant.expires_at);
    if (!(expires > now.getTime()) || Date.parse(grant.granted_at) > now.getTime()) continue;
    try {
      out.push({ grant, pattern: compilePattern(grant.pattern) });
    } catch {
      // A stored grant with a broken pattern grants nothing; failing closed is the point.
    }
  }
  return out;
}
