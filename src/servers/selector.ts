import { ValidationError } from '../errors.js';

/**
 * Label selectors as Kubernetes writes them, over the labels add-server stores: `role=web,env=prod`,
 * `env!=prod`, `tier in (a,b)`, `tier notin (a,b)`, `gpu` (has the label), `!gpu` (has not). Requirements are ANDed.
 * `==` is accepted for `=`. Pure: parsing answers where a mistake is, matching answers which servers fit.
 */
export type Requirement =
  | { readonly key: string; readonly op: 'in' | 'notin'; readonly values: readonly string[] }
  | { readonly key: string; readonly op: 'exists' | 'absent' };

const KEY = /^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/;
const VALUE = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,254}[A-Za-z0-9])?$|^$/;

/** Splits on commas that are not inside parentheses. */
function parts(text: string): { text: string; at: number }[] {
  const out: { text: string; at: number }[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    if ((c === ',' && depth === 0) || i === text.length) {
      out.push({ text: text.slice(start, i), at: start });
      start = i + 1;
    }
  }
  return out;
}

function fail(selector: string, at: number, what: string): never {
  const shown = selector.length > 120 ? `${selector.slice(0, 120)}…` : selector;
  throw new ValidationError(
    `selector "${shown}" is not valid at character ${at + 1}: ${what}.`,
    'Write requirements separated by commas: key=value, key!=value, key in (a,b), key notin (a,b), key, !key — e.g. "role=web,env!=staging".',
  );
}

export function parseSelector(selector: string): Requirement[] {
  if (selector.trim() === '') fail(selector, 0, 'it is empty');
  const reqs: Requirement[] = [];
  for (const p of parts(selector)) {
    const raw = p.text;
    const t = raw.trim();
    const at = p.at + (raw.length - raw.trimStart().length);
    if (t === '') fail(selector, at, 'a requirement is missing between two commas');
    const set = /^([^\s!=(),]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(t);
    if (set) {
      const key = set[1] as string;
      if (!KEY.test(key)) fail(selector, at, `"${key}" is not a label key (lowercase a-z, 0-9, ".", "_", "/", "-")`);
      const values = (set[3] as string).split(',').map((v) => v.trim());
      const bad = values.find((v) => !VALUE.test(v));
      if (values.length === 0 || bad !== undefined) fail(selector, at, `"${bad ?? ''}" is not a label value`);
      reqs.push({ key, op: set[2] as 'in' | 'notin', values });
      continue;
    }
    const eq = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s=(),!]*)$/.exec(t);
    if (eq) {
      const key = eq[1] as string;
      const value = eq[3] as string;
      if (!KEY.test(key)) fail(selector, at, `"${key}" is not a label key (lowercase a-z, 0-9, ".", "_", "/", "-")`);
      if (!VALUE.test(value)) fail(selector, at + t.indexOf(value), `"${value}" is not a label value`);
      reqs.push({ key, op: eq[2] === '!=' ? 'notin' : 'in', values: [value] });
      continue;
    }
    const exists = /^(!?)\s*([^\s!=(),]+)$/.exec(t);
    if (exists) {
      const key = exists[2] as string;
      if (!KEY.test(key)) fail(selector, at, `"${key}" is not a label key (lowercase a-z, 0-9, ".", "_", "/", "-")`);
      reqs.push({ key, op: exists[1] ? 'absent' : 'exists' });
      continue;
    }
    fail(selector, at, `"${t.slice(0, 60)}" is not a requirement`);
  }
  return reqs;
}

export function matches(reqs: readonly Requirement[], labels: Readonly<Record<string, string>>): boolean {
  return reqs.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case 'absent':
        return !has;
      case 'in':
        return has && r.values.includes(labels[r.key] as string);
      case 'notin':
        // As in Kubernetes: a server without the label is not in the excluded set.
        return !has || !r.values.includes(labels[r.key] as string);
    }
  });
}
