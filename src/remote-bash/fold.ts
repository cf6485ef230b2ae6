/**
 * Server names folded for people, as clush -b folds its nodesets: runs of names that differ only in a trailing
 * number become "web-1..web-12"; the rest stay as they are. "web-01..web-09" keeps its zero padding.
 */
export function foldNames(names: readonly string[]): string {
  const parsed = names.map((n) => {
    const m = /^(.*?)(\d+)$/.exec(n);
    return m ? { name: n, prefix: m[1] as string, digits: m[2] as string } : { name: n, prefix: n, digits: '' };
  });
  parsed.sort((a, b) =>
    a.prefix === b.prefix
      ? Number(a.digits || -1) - Number(b.digits || -1) || a.name.localeCompare(b.name)
      : a.prefix.localeCompare(b.prefix),
  );
  const out: string[] = [];
  for (let i = 0; i < parsed.length;) {
    const a = parsed[i] as (typeof parsed)[number];
    let j = i;
    while (j + 1 < parsed.length) {
      const b = parsed[j + 1] as (typeof parsed)[number];
      const prev = parsed[j] as (typeof parsed)[number];
      const samePad =
        b.digits.length === prev.digits.length || (!b.digits.startsWith('0') && !prev.digits.startsWith('0'));
      if (a.digits === '' || b.prefix !== a.prefix || !samePad || Number(b.digits) !== Number(prev.digits) + 1) break;
      j++;
    }
    const last = parsed[j] as (typeof parsed)[number];
    out.push(
      j - i >= 2
        ? `${a.name}..${last.name}`
        : parsed
            .slice(i, j + 1)
            .map((p) => p.name)
            .join(', '),
    );
    i = j + 1;
  }
  return out.join(', ');
}
