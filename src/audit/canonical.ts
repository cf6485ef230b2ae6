import { DeckhandError } from '../errors.js';

/**
 * The one serialisation an entry is hashed in: JSON with object keys sorted (by UTF-16 code units), no spaces,
 * properties whose value is undefined left out. Two stores that hold the same entry hash it the same, whatever
 * order their columns or JSON documents keep.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$');
}

function write(value: unknown, at: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw notCanonical(at, 'a number that is not finite');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((v, i) => (v === undefined ? throwAt(`${at}[${i}]`) : write(v, `${at}[${i}]`))).join(',')}]`;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw notCanonical(at, 'an object that is not plain JSON');
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${write(v, `${at}.${k}`)}`).join(',')}}`;
    }
    default:
      throw notCanonical(at, `a ${typeof value}`);
  }
}

function throwAt(at: string): never {
  throw notCanonical(at, 'undefined inside an array');
}

function notCanonical(at: string, what: string): DeckhandError {
  return new DeckhandError(
    'audit_not_canonical',
    `An audit entry holds ${what} at ${at}, which has no canonical JSON form.`,
    {
      hint: 'Record only JSON values (strings, finite numbers, booleans, null, arrays and plain objects).',
    },
  );
}
