/**
 * OpenSSH's pattern rules (match.c): `*` matches any run of characters, `?` exactly one, nothing else is special.
 * Case-sensitive: `Host` lines compare as typed; `Match host`/`originalhost` lower-case both sides first.
 */
export function wildcardMatch(pattern: string, text: string): boolean {
  // Iterative backtracking on the last `*`: linear enough for host names, no regex built from user input.
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      starP = p++;
      starT = t;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * A comma-separated pattern list, as `Match host a,!b` takes it: a matching negated pattern wins over everything
 * (-1), else any matching positive pattern (1), else no match (0).
 */
export function matchPatternList(text: string, list: string, lower = false): -1 | 0 | 1 {
  const s = lower ? text.toLowerCase() : text;
  let found: 0 | 1 = 0;
  for (const raw of list.split(',')) {
    const negated = raw.startsWith('!');
    const pat = (negated ? raw.slice(1) : raw).trim();
    if (!wildcardMatch(lower ? pat.toLowerCase() : pat, s)) continue;
    if (negated) return -1;
    found = 1;
  }
  return found;
}

/**
 * A `Host` line: whitespace-separated patterns, each possibly negated; a matching negation rejects the whole line.
 * Unlike Match, a comma here is a literal character (OpenSSH uses match_pattern, not a list, for Host).
 */
export function hostLineMatches(patterns: readonly string[], host: string): boolean {
  let found = false;
  for (const p of patterns) {
    const negated = p.startsWith('!');
    if (!wildcardMatch(negated ? p.slice(1) : p, host)) continue;
    if (negated) return false;
    found = true;
  }
  return found;
}

/** Concrete names on a `Host` line (no wildcard, no negation): the hosts an import can list. */
export function concreteHostNames(patterns: readonly string[]): string[] {
  return patterns.filter((p) => p !== '' && !/[*?]/.test(p) && !p.startsWith('!'));
}
