import { z } from 'zod';
import { formatCount } from '../../../format.js';

/** "256 KiB (262,144 bytes)": the unit tools.md uses, and the exact count a user can compare with `wc -c`. */
export function byteSize(bytes: number): string {
  const exact = `${formatCount(bytes)} bytes`;
  if (bytes < 1024) return exact;
  const [v, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KiB'] : [bytes / (1024 * 1024), 'MiB'];
  const shown = Number.isInteger(v) || v >= 100 ? String(Math.round(v)) : v.toFixed(1);
  return `${shown} ${unit} (${exact})`;
}

/**
 * A string whose documented limit is a size: counted in UTF-8 bytes, as it travels and lands on disk, not in
 * UTF-16 code units as `z.string().max()` counts them (150,000 × "é" is 293 KiB but only 150,000 of those).
 * The message says the size found and the limit. `minChars` keeps an empty string out where one means nothing.
 */
export function byteLimitedString(maxBytes: number, opts: { minChars?: number } = {}) {
  const base = opts.minChars === undefined ? z.string() : z.string().min(opts.minChars, 'must not be empty');
  return base.superRefine((value, ctx) => {
    // Every character is at least one byte: a string this short cannot be over, whatever it holds.
    if (value.length * 3 <= maxBytes) return;
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > maxBytes) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `is ${byteSize(bytes)} in UTF-8; the limit is ${byteSize(maxBytes)}`,
        params: { bytes, maxBytes },
      });
    }
  });
}
