import type { OutputCaps } from '../config.js';
import { omittedMarker } from '../format.js';
import type { DecodedLine } from './log-format.js';
import { lastLine, listSegments, scanBackward, scanForward } from './log-segments.js';

export interface StreamSummary {
  readonly text: string;
  readonly truncated: boolean;
  readonly total_lines: number;
  readonly total_bytes: number;
}

/**
 * A stream's output as a tool result shows it: head and tail within the caps, with a marker saying exactly
 * how many lines and bytes lie between. Reads only the ends of the log, whatever its size.
 */
export function summarizeStream(dir: string, stream: 'stdout' | 'stderr', caps: OutputCaps): StreamSummary {
  const segs = listSegments(dir);
  const headByteCap = Math.floor(caps.maxBytes / 3);
  const tailByteCap = caps.maxBytes - headByteCap;
  const maxLine = Math.max(256, Math.floor(tailByteCap / 4));
  const cut = (t: string) => (t.length > maxLine ? `${t.slice(0, maxLine)} …[line cut at ${maxLine} characters]` : t);
  const isMine = (l: DecodedLine) => l.stream === stream;
  const n = (l: DecodedLine) => (stream === 'stdout' ? l.off.outN : l.off.errN);
  const bytesAt = (l: DecodedLine) => (stream === 'stdout' ? l.off.out : l.off.err);

  let last: DecodedLine | undefined;
  for (let i = segs.length - 1; i >= 0 && !last; i--) last = lastLine(segs[i]!);
  if (!last) return { text: '', truncated: false, total_lines: 0, total_bytes: 0 };
  const totalLines = n(last);
  const totalBytes = bytesAt(last);
  // The counters on the last line say how many lines this stream has: scans stop as soon as they have them all.
  if (totalLines === 0) return { text: '', truncated: false, total_lines: 0, total_bytes: totalBytes };

  const head: DecodedLine[] = [];
  let headBytes = 0;
  let headDone = false;
  for (const s of segs) {
    if (headDone) break;
    scanForward(s, 0, (l) => {
      if (!isMine(l)) return true;
      const size = Buffer.byteLength(cut(l.text)) + 1;
      if (head.length >= caps.headLines || headBytes + size > headByteCap) {
        headDone = true;
        return false;
      }
      head.push(l);
      headBytes += size;
      if (n(l) >= totalLines) headDone = true;
      return !headDone;
    });
  }
  const headLastN = head.length ? n(head.at(-1)!) : 0;
  const tail: DecodedLine[] = [];
  let tailBytes = 0;
  for (let i = segs.length - 1; i >= 0 && head.length < totalLines; i--) {
    const s = segs[i]!;
    let stop = false;
    scanBackward(s, (l) => {
      if (!isMine(l)) return true;
      if (n(l) <= headLastN) return ((stop = true), false);
      const size = Buffer.byteLength(cut(l.text)) + 1;
      if (tail.length >= caps.tailLines || tailBytes + size > tailByteCap) return ((stop = true), false);
      tail.push(l);
      tailBytes += size;
      if (n(l) - 1 <= headLastN) stop = true;
      return !stop;
    });
    if (stop) break;
  }
  tail.reverse();
  const omittedLines = totalLines - head.length - tail.length;
  const parts = head.map((l) => cut(l.text));
  if (omittedLines > 0) {
    const from = head.length ? bytesAt(head.at(-1)!) : 0;
    const firstTail = tail[0];
    const to = firstTail ? bytesAt(firstTail) - (Buffer.byteLength(firstTail.text) + 1) : totalBytes;
    parts.push(omittedMarker(omittedLines, Math.max(0, to - from)));
  }
  parts.push(...tail.map((l) => cut(l.text)));
  return { text: parts.join('\n'), truncated: omittedLines > 0, total_lines: totalLines, total_bytes: totalBytes };
}
