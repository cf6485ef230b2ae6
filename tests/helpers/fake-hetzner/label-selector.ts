/**
 * Hetzner's label selector language: `k=v` / `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`,
 * joined by commas meaning AND. Returns a predicate, or throws on syntax it does not accept.
 */
export function parseLabelSelector(selector: string): (labels: Record<string, string>) => boolean {
  const parts = splitTopLevel(selector).map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new SyntaxError(`empty requirement in label selector "${selector}"`);
  const tests = parts.map(requirement);
  return (labels) => tests.every((t) => t(labels));
}

type Test = (labels: Record<string, string>) => boolean;

const KEY = String.raw`[A-Za-z0-9]([A-Za-z0-9_.\/-]*[A-Za-z0-9])?`;
const VALUE = String.raw`([A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?)?`;

function requirement(expr: string): Test {
  let m: RegExpMatchArray | null;
  if ((m = expr.match(new RegExp(`^!\\s*(${KEY})$`)))) {
    const key = m[1] as string;
    return (l) => !(key in l);
  }
  if ((m = expr.match(new RegExp(`^(${KEY})\\s+(in|notin)\\s+\\(([^()]*)\\)$`)))) {
    const key = m[1] as string;
    const negate = m[3] === 'notin';
    const values = (m[4] as string).split(',').map((v) => v.trim());
    if (values.some((v) => !new RegExp(`^${VALUE}$`).test(v))) throw new SyntaxError(`bad value list in "${expr}"`);
    return (l) => (key in l && values.includes(l[key] as string)) !== negate;
  }
  if ((m = expr.match(new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`)))) {
    const key = m[1] as string;
    const op = m[3];
    const value = m[4] as string;
    // As in Kubernetes, `k!=v` also matches resources without the key.
    return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
  }
  if ((m = expr.match(new RegExp(`^(${KEY})$`)))) {
    const key = m[1] as string;
    return (l) => key in l;
  }
  throw new SyntaxError(`cannot parse "${expr}"`);
}

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth < 0) throw new SyntaxError(`unbalanced parentheses in "${s}"`);
    if (ch === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (depth !== 0) throw new SyntaxError(`unbalanced parentheses in "${s}"`);
  out.push(current);
  return out;
}
