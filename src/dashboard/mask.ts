/** Parameter names whose values are secrets wherever they appear (a feature that stored one by mistake included). */
const SECRET_KEY = /pass(word|phrase)?|secret|token|api[_-]?key|private[_-]?key|credential|authorization|cookie/i;
export const MASK = '••••••';

/**
 * A job's parameters as a page shows them: secret-looking values masked at any depth. Features already keep secrets
 * out of job records (env values live beside the job, only their names are recorded); this is the second line.
 */
export function maskParams(value: unknown, depth = 0): unknown {
  if (depth > 8) return '…';
  if (Array.isArray(value)) return value.map((v) => maskParams(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        SECRET_KEY.test(k) && v !== null && v !== undefined && v !== '' ? MASK : maskParams(v, depth + 1),
      ]),
    );
  }
  return value;
}
