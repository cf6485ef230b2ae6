import { z } from 'zod';
import { POLICY_MODES, serverPolicySchema, type ServerPolicy } from './schema.js';

/** A bearer token the HTTP transport accepts: its name is what the audit log records, never the token. */
export interface HttpToken {
  readonly name: string;
  readonly token: string;
  /** Applied on top of every server's own policy for calls made with this token: the stricter wins. */
  readonly policy?: ServerPolicy | undefined;
}

/** DECKHAND_HTTP_TOKEN keeps working; its calls are recorded under this name. */
export const DEFAULT_TOKEN_NAME = 'default';

const tokenName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'token names are 1-32 lower-case letters, digits, "-" or "_"')
  .refine((n) => n !== DEFAULT_TOKEN_NAME, `"${DEFAULT_TOKEN_NAME}" is the name of DECKHAND_HTTP_TOKEN`);
const tokenValue = z
  .string()
  .min(16, 'a token needs at least 16 characters')
  .max(512)
  .regex(/^\S+$/, 'a token has no spaces');

const jsonForm = z.array(
  z.object({ name: tokenName, token: tokenValue, policy: serverPolicySchema.optional() }).strict(),
);

/**
 * DECKHAND_HTTP_TOKENS, in one of two forms:
 *   ci=TOKEN1:read-only,ops=TOKEN2          name=token, optionally :mode (read-only, ask or open), comma-separated
 *   [{"name": "ci", "token": "…", "policy": {"mode": "read-only", "deny": ["rm **"]}}]   JSON, for full policies
 * Every problem names the entry and what was expected; token values never appear in a message.
 */
export function parseHttpTokens(text: string): { tokens: HttpToken[] } | { error: string } {
  const trimmed = text.trim();
  let entries: HttpToken[];
  if (trimmed.startsWith('[')) {
    let raw: unknown;
    try {
      raw = JSON.parse(trimmed);
    } catch (err) {
      return { error: `not valid JSON (${(err as Error).message})` };
    }
    const parsed = jsonForm.safeParse(raw);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      return { error: `entry ${i.path.join('.')}: ${i.message}` };
    }
    entries = parsed.data.map((t) => (t.policy ? { ...t, policy: t.policy } : { name: t.name, token: t.token }));
  } else {
    entries = [];
    const parts = trimmed.split(',').map((s) => s.trim());
    for (const [i, part] of parts.entries()) {
      const eq = part.indexOf('=');
      if (eq <= 0) return { error: `entry ${i + 1} is not name=token (or name=token:mode)` };
      const name = part.slice(0, eq);
      let token = part.slice(eq + 1);
      let policy: ServerPolicy | undefined;
      const colon = token.lastIndexOf(':');
      if (colon >= 0) {
        const mode = token.slice(colon + 1);
        if (!(POLICY_MODES as readonly string[]).includes(mode))
          return {
            error: `entry "${name}": the part after ":" must be a mode (${POLICY_MODES.join(', ')}); for a token holding ":" use the JSON form`,
          };
        policy = { mode: mode as ServerPolicy['mode'] };
        token = token.slice(0, colon);
      }
      const n = tokenName.safeParse(name);
      if (!n.success) return { error: `entry ${i + 1}: ${n.error.issues[0]!.message}` };
      const v = tokenValue.safeParse(token);
      if (!v.success) return { error: `entry "${name}": ${v.error.issues[0]!.message}` };
      entries.push(policy ? { name, token, policy } : { name, token });
    }
  }
  const names = new Set<string>();
  const values = new Set<string>();
  for (const t of entries) {
    if (names.has(t.name)) return { error: `the name "${t.name}" appears twice` };
    if (values.has(t.token)) return { error: `"${t.name}" has the same token as another entry` };
    names.add(t.name);
    values.add(t.token);
  }
  return { tokens: entries };
}

/** Every token the HTTP transport accepts: DECKHAND_HTTP_TOKEN as "default", then DECKHAND_HTTP_TOKENS. */
export function allHttpTokens(single: string | undefined, named: readonly HttpToken[]): readonly HttpToken[] {
  return Object.freeze([...(single ? [{ name: DEFAULT_TOKEN_NAME, token: single }] : []), ...named]);
}
