import type { AuditRecord, JsonValue } from './entry.js';

/** What a masked secret reads as. */
export const MASK = '***';

/** Words that mark a key (or variable, or option) as holding a secret. */
const SECRET_WORDS =
  /pass(?:word|wd|phrase)?|secret|token|api[-_]?key|private[-_]?key|access[-_]?key|credential|bearer|cookie|session[-_]?id|signature/i;
/** `auth` counts only as a whole word (`auth`, `x_auth`), not inside `author`. */
const AUTH_WORD = /(?:^|[-_])auth(?:orization)?(?:$|[-_])/i;
/** Keys that name where a secret is, not the secret: `password_env`, `private_key_path`, `token_name`. */
const POINTER_SUFFIX = /[-_](?:env|path|file|name|id|type|kind|count|expires(?:_at)?)$/i;

export function isSecretKey(key: string): boolean {
  if (POINTER_SUFFIX.test(key) && !/session[-_]?id$/i.test(key)) return false;
  return SECRET_WORDS.test(key) || AUTH_WORD.test(key);
}

export interface MaskOptions {
  /** Secret values known to the caller (env values of the deploy, the HTTP token…), hidden wherever they appear. */
  readonly secrets?: readonly string[];
}

/**
 * A copy of tool arguments safe to keep: values under secret-looking keys, private keys and known secret values
 * become "***". Keys and structure stay, so the entry still shows what was asked.
 */
export function maskArgs(value: unknown, options: MaskOptions = {}): JsonValue {
  const secrets = knownSecrets(options);
  const walk = (v: unknown, key: string | null): JsonValue => {
    if (key !== null && isSecretKey(key) && v !== null && v !== undefined && v !== '') return MASK;
    if (typeof v === 'string') return maskString(v, secrets);
    if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
    if (typeof v === 'boolean' || v === null) return v;
    if (Array.isArray(v)) return v.map((x) => walk(x, null));
    if (typeof v === 'object') {
      const out: Record<string, JsonValue> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = walk(x, k);
      return out;
    }
    return String(v);
  };
  return walk(value, null);
}

/**
 * A command line safe to keep: secret-looking assignments (`DB_PASSWORD=…`), options (`--password=…`,
 * `--token …`), bearer headers, credentials in URLs and known secret values become "***". A guard for the common
 * forms, not a guarantee: a secret typed as a bare argument cannot be told from any other word.
 */
export function maskCommand(command: string, options: MaskOptions = {}): string {
  let out = command
    .replace(/\b([A-Za-z_][A-Za-z0-9_]*)=('[^']*'|"(?:[^"\\]|\\.)*"|[^\s;&|]+)/g, (m, name: string) =>
      isSecretKey(name) ? `${name}=${MASK}` : m,
    )
    .replace(
      /(--?[A-Za-z][A-Za-z0-9-]*)(=|\s+)('[^']*'|"(?:[^"\\]|\\.)*"|[^\s;&|-][^\s;&|]*)/g,
      (m, opt: string, sep: string) => (isSecretKey(opt.replace(/^-+/, '')) ? `${opt}${sep}${MASK}` : m),
    )
    .replace(/\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${MASK}`)
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]+@/gi, `$1:${MASK}@`);
  for (const s of knownSecrets(options)) out = out.split(s).join(MASK);
  return out;
}

function maskString(v: string, secrets: readonly string[]): string {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(v)) return MASK;
  let out = v;
  for (const s of secrets) out = out.split(s).join(MASK);
  return out;
}

/** Known secrets, longest first so that one inside another is hidden whole; very short ones would mask noise. */
function knownSecrets(options: MaskOptions): string[] {
  return [...new Set(options.secrets ?? [])].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

/** A record whose args and command are masked; what callers hand to AuditSink.append(). */
export function maskRecord(
  record: Omit<AuditRecord, 'args'> & { readonly args?: unknown },
  options: MaskOptions = {},
): AuditRecord {
  return {
    ...record,
    args: record.args === undefined ? undefined : maskArgs(record.args, options),
    command: record.command === undefined ? undefined : maskCommand(record.command, options),
  };
}
