import fs from 'node:fs/promises';
import path from 'node:path';
import { DeckhandError } from '../errors.js';
import { wildcardMatch } from './ssh-config-match.js';

/**
 * One meaningful line of an ssh_config file, in the order OpenSSH reads it, with every `Include` already expanded in
 * place. `enter`/`leave` bracket an included file: OpenSSH restores the active state after an Include, and a file
 * included from an inactive block applies nothing at all.
 */
export type ConfigEntry =
  | { readonly kind: 'line'; readonly keyword: string; readonly args: readonly string[]; readonly at: string }
  | { readonly kind: 'enter'; readonly file: string }
  | { readonly kind: 'leave' };

export interface ReadOptions {
  /** Home directory for `~` and for relative Include paths (`~/.ssh/...`). */
  readonly home: string;
  /** "user" resolves relative Include paths against ~/.ssh, "system" against /etc/ssh, as OpenSSH does. */
  readonly scope: 'user' | 'system';
}

/** OpenSSH stops at this Include depth (READCONF_MAX_DEPTH). */
const MAX_DEPTH = 16;

/** Reads a config file and everything it includes. A missing file reads as empty; the caller decides if that is an error. */
export async function readConfigEntries(file: string, opts: ReadOptions): Promise<ConfigEntry[]> {
  const out: ConfigEntry[] = [];
  await readInto(file, opts, 0, out);
  return out;
}

async function readInto(file: string, opts: ReadOptions, depth: number, out: ConfigEntry[]): Promise<void> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw new DeckhandError(
      'ssh_config_unreadable',
      `Cannot read the ssh config file ${file}: ${code ?? String(err)}.`,
      {
        hint: 'Check the path and its permissions (it is read by the deckhand process).',
        cause: err,
      },
    );
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const at = `${file} line ${i + 1}`;
    const parsed = parseLine(lines[i] as string, at);
    if (!parsed) continue;
    if (parsed.keyword !== 'include') {
      out.push({ kind: 'line', ...parsed, at });
      continue;
    }
    if (depth + 1 > MAX_DEPTH) {
      throw new DeckhandError('ssh_config_invalid', `${at}: Include nested more than ${MAX_DEPTH} deep.`, {
        hint: 'Look for a file that includes itself.',
      });
    }
    if (parsed.args.length === 0) throw invalid(at, 'Include needs at least one file name.');
    for (const arg of parsed.args) {
      for (const f of await globFiles(includePath(arg, opts))) {
        out.push({ kind: 'enter', file: f });
        await readInto(f, opts, depth + 1, out);
        out.push({ kind: 'leave' });
      }
    }
  }
}

/** Relative Include paths are relative to ~/.ssh (user files) or /etc/ssh (system files), not to the including file. */
function includePath(arg: string, opts: ReadOptions): string {
  const p = expandTilde(arg, opts.home);
  if (path.isAbsolute(p)) return p;
  return path.join(opts.scope === 'user' ? path.join(opts.home, '.ssh') : '/etc/ssh', p);
}

export function expandTilde(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

/** glob(3) with `*` and `?` per path segment (no `[...]` classes); sorted as glob(3) sorts; no match is not an error. */
async function globFiles(pattern: string): Promise<string[]> {
  const segments = pattern.split('/').filter((s, i) => s !== '' || i === 0);
  let bases = [segments[0] === '' ? '/' : '.'];
  for (const seg of segments.slice(segments[0] === '' ? 1 : 0)) {
    const next: string[] = [];
    for (const base of bases) {
      if (!/[*?]/.test(seg)) {
        next.push(path.join(base, seg));
        continue;
      }
      let names: string[];
      try {
        names = await fs.readdir(base);
      } catch {
        continue;
      }
      for (const n of names.sort()) {
        // As in glob(3), a wildcard does not match a leading dot.
        if (n.startsWith('.') && !seg.startsWith('.')) continue;
        if (wildcardMatch(seg, n)) next.push(path.join(base, n));
      }
    }
    bases = next;
  }
  const files: string[] = [];
  for (const f of bases) {
    const st = await fs.stat(f).catch(() => undefined);
    if (st?.isFile()) files.push(f);
  }
  return files;
}

/**
 * Splits one line the way OpenSSH does: the keyword ends at whitespace or a single `=`; arguments are split on
 * whitespace, with "double" or 'single' quotes and backslash escapes of quotes and backslashes; `#` starts a comment.
 */
export function parseLine(raw: string, at: string): { keyword: string; args: string[] } | undefined {
  const line = raw.replace(/\r$/, '').trim();
  if (line === '' || line.startsWith('#')) return undefined;
  const m = /^([^\s=]+)\s*(?:=\s*)?(.*)$/.exec(line);
  if (!m) return undefined;
  return { keyword: (m[1] as string).toLowerCase(), args: splitArgs(m[2] as string, at) };
}

function splitArgs(s: string, at: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i] as string)) i++;
    if (i >= s.length || s[i] === '#') break;
    let arg = '';
    let quote: string | undefined;
    for (; i < s.length; i++) {
      const c = s[i] as string;
      if (!quote && /\s/.test(c)) break;
      if (c === '\\' && (s[i + 1] === '"' || s[i + 1] === "'" || s[i + 1] === '\\')) {
        arg += s[++i];
      } else if (quote && c === quote) {
        quote = undefined;
      } else if (!quote && (c === '"' || c === "'")) {
        quote = c;
      } else {
        arg += c;
      }
    }
    if (quote) throw invalid(at, 'unterminated quote.');
    args.push(arg);
  }
  return args;
}

export function invalid(at: string, what: string): DeckhandError {
  return new DeckhandError('ssh_config_invalid', `${at}: ${what}`, {
    hint: 'Fix that line (`ssh -G <host>` shows how OpenSSH reads the file), then try again.',
  });
}
