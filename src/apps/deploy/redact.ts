export const MASK = '********';

/**
 * Replaces secret values wherever they appear in text bound for a job log, a job record or a tool result:
 * remote output (task errors, service logs) can echo them. Longest values first, so a secret containing
 * another is masked whole. Very short values are left alone (masking "1" would garble every line), and so are
 * `exempt` words: the names deckhand itself prints (apps, stacks), should a user pass one as a setting.
 */
export class Redactor {
  private values: string[] = [];

  constructor(
    values: Iterable<string> = [],
    private readonly exempt: ReadonlySet<string> = new Set(),
  ) {
    this.add(values);
  }

  add(values: Iterable<string>): void {
    const set = new Set(this.values);
    for (const v of values) if (v.length >= 4 && !this.exempt.has(v)) set.add(v);
    this.values = [...set].sort((a, b) => b.length - a.length);
  }

  text(s: string): string {
    let out = s;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(MASK);
    return out;
  }

  /** A deep copy of a JSON-like value with every string redacted. */
  value<T>(v: T): T {
    if (typeof v === 'string') return this.text(v) as T;
    if (Array.isArray(v)) return v.map((x: unknown) => this.value(x)) as T;
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.value(x as unknown)])) as T;
    }
    return v;
  }
}

/** The .env text with every value masked except those of `shown` keys. */
export function maskEnvFile(envFile: string, shown: ReadonlySet<string>): string {
  return envFile
    .split('\n')
    .map((line) => {
      const eq = line.indexOf('=');
      if (line.startsWith('#') || eq < 0) return line;
      const key = line.slice(0, eq);
      return shown.has(key) ? line : `${key}=${MASK}`;
    })
    .join('\n');
}

/** Names deckhand prints itself and that are never secret: the catalogue's apps, the stack, true and false. */
export function exemptWords(catalogue: { names(): string[] }, stack: string): Set<string> {
  return new Set([...catalogue.names(), stack, 'true', 'false']);
}
