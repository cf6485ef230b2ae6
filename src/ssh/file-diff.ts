import { createTwoFilesPatch } from 'diff';

export const DEFAULT_MAX_DIFF_BYTES = 8 * 1024;

export interface CappedDiff {
  /** A unified diff ("--- a", "+++ b", hunks), or a one-line summary for binary content; '' when nothing changed. */
  readonly text: string;
  readonly truncated: boolean;
}

function isText(b: Buffer): boolean {
  if (b.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

/** What a write changed, for the answer: capped at `maxBytes`, cut at a line end. `before` undefined: a new file. */
export function cappedDiff(
  path: string,
  before: Buffer | undefined,
  after: Buffer,
  maxBytes = DEFAULT_MAX_DIFF_BYTES,
): CappedDiff {
  if (before && before.equals(after)) return { text: '', truncated: false };
  if ((before && !isText(before)) || !isText(after)) {
    const was = before ? `${before.length} bytes` : 'no file';
    return { text: `Binary content of ${path} changed (${was} → ${after.length} bytes).`, truncated: false };
  }
  const full = createTwoFilesPatch(
    before ? `a${path}` : '/dev/null',
    `b${path}`,
    before?.toString('utf8') ?? '',
    after.toString('utf8'),
    undefined,
    undefined,
    { context: 3 },
  ).replace(/^=+\n/, '');
  if (Buffer.byteLength(full) <= maxBytes) return { text: full, truncated: false };
  const head = Buffer.from(full).subarray(0, maxBytes).toString('utf8');
  const cut = head.lastIndexOf('\n') + 1;
  const rest = Buffer.byteLength(full) - cut;
  return { text: `${head.slice(0, cut)}… (diff cut here, ${rest} more bytes)\n`, truncated: true };
}
