import { ValidationError } from '../errors.js';

/**
 * Patterns for `allow`, `deny` and grants: globs over the words of a command, after quotes and escapes are removed.
 *
 *   systemctl restart nginx      exactly these three words
 *   systemctl restart *          `systemctl restart` and one more word, whatever it is
 *   journalctl -u app-*          `*` matches any run of characters inside one word, `?` one character
 *   rm **                        `**` as a whole word matches any number of words, none included
 *   > /var/log/app/*             a redirect that writes is its own part: the operator, then the file
 *   write-file /srv/app/**       a tool action: the tool's name, then what it acts on
 *   sh -c 'rm -rf /tmp/x'        quotes make one word and keep `*`, `?` and spaces literal; `\` escapes one character
 *
 * A pattern always matches the whole word list (it is anchored at both ends). Command names are compared by
 * their short name for programs in the standard directories (`/usr/bin/rm` is `rm`).
 */
export interface CompiledPattern {
  readonly source: string;
  matches(words: readonly string[]): boolean;
}

export const MAX_PATTERN_CHARS = 500;
const MAX_PATTERN_WORDS = 64;

type Token = { kind: 'any-words' } | { kind: 'word'; re: RegExp };

export function compilePattern(source: string): CompiledPattern {
  if (source.length > MAX_PATTERN_CHARS) {
    throw new ValidationError(`The pattern "${source.slice(0, 40)}…" is longer than ${MAX_PATTERN_CHARS} characters.`);
  }
  const tokens = tokenize(source);
  if (tokens.length === 0)
    throw new ValidationError('A pattern needs at least one word.', 'For example "systemctl restart *".');
  if (tokens.length > MAX_PATTERN_WORDS) {
    throw new ValidationError(`The pattern "${source.slice(0, 40)}…" has more than ${MAX_PATTERN_WORDS} words.`);
  }
  return { source, matches: (words) => matchWords(tokens, words) };
}

/** A pattern that matches exactly these words and nothing else (for a grant of one command). */
export function exactPattern(words: readonly string[]): string {
  return words.map((w) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    while (i < source.length && /\s/.test(source[i]!)) i++;
    if (i >= source.length) break;
    let re = '';
    let raw = '';
    let quotedAny = false;
    while (i < source.length && !/\s/.test(source[i]!)) {
      const ch = source[i]!;
      if (ch === "'" || ch === '"') {
        const end = closingQuote(source, i);
        const body = source.slice(i + 1, end);
        const text = ch === '"' ? body.replace(/\\(.)/gs, '$1') : body;
        re += escapeRegExp(text);
        raw += text;
        quotedAny = true;
        i = end + 1;
      } else if (ch === '\\') {
        const next = source[i + 1];
        if (next === undefined) throw new ValidationError(`The pattern "${source}" ends with a lone backslash.`);
        re += escapeRegExp(next);
        raw += next;
        quotedAny = true;
        i += 2;
      } else {
        re += ch === '*' ? '.*' : ch === '?' ? '.' : escapeRegExp(ch);
        raw += ch;
        i++;
      }
    }
    tokens.push(raw === '**' && !quotedAny ? { kind: 'any-words' } : { kind: 'word', re: new RegExp(`^${re}$`, 's') });
  }
  return tokens;
}

function closingQuote(source: string, open: number): number {
  const quote = source[open]!;
  for (let j = open + 1; j < source.length; j++) {
    if (quote === '"' && source[j] === '\\') j++;
    else if (source[j] === quote) return j;
  }
  throw new ValidationError(
    `The pattern "${source}" has an unclosed ${quote}.`,
    'Close the quote, or escape it with a backslash.',
  );
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Whole-list match; `**` may take any number of words. Dynamic programming, so no pattern can blow up. */
function matchWords(tokens: readonly Token[], words: readonly string[]): boolean {
  // can[j] = the tokens so far can match exactly the first j words.
  let can = new Array<boolean>(words.length + 1).fill(false);
  can[0] = true;
  for (const token of tokens) {
    const next = new Array<boolean>(words.length + 1).fill(false);
    if (token.kind === 'any-words') {
      let reachable = false;
      for (let j = 0; j <= words.length; j++) {
        reachable ||= can[j]!;
        next[j] = reachable;
      }
    } else {
      for (let j = 1; j <= words.length; j++) next[j] = can[j - 1]! && token.re.test(words[j - 1]!);
    }
    can = next;
  }
  return can[words.length]!;
}
