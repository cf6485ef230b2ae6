import type { StreamSummary } from '../store/contract.js';
import type { DecodedLine } from './format.js';
import { lastLine, listSegments, scanBackward, scanForward } from './segments.js';
import { SummaryShape, type SummaryCaps } from './view.js';

/**
 * A stream's output as a tool result shows it: head and tail within the caps, with a marker saying exactly
 * how many lines and bytes lie between. Reads only the ends of the log, whatever its size.
 */
export function summarizeStream(dir: string, stream: 'stdout' | 'stderr', caps: SummaryCaps): StreamSummary {
  const segs = listSegments(dir);
  const shape = new SummaryShape(stream, caps);

  let last: DecodedLine | undefined;
  for (let i = segs.length - 1; i >= 0 && !last; i--) last = lastLine(segs[i]!);
  if (!last) return { text: '', truncated: false, total_lines: 0, total_bytes: 0 };
  const totalLines = shape.n(last);
  // The counters on the last line say how many lines this stream has: scans stop as soon as they have them all.
  if (totalLines === 0) return { text: '', truncated: false, total_lines: 0, total_bytes: shape.bytesAt(last) };

  const head: DecodedLine[] = [];
  let headBytes = 0;
  let headDone = false;
  for (const s of segs) {
    if (headDone) break;
    scanForward(s, 0, (l) => {
      if (!shape.isMine(l)) return true;
      const size = shape.size(l);
      if (head.length >= caps.headLines || headBytes + size > shape.headByteCap) {
        headDone = true;
        return false;
      }
      head.push(l);
      headBytes += size;
      if (shape.n(l) >= totalLines) headDone = true;
      return !headDone;
    });
  }
  const headLastN = head.length ? shape.n(head.at(-1)!) : 0;
  const tail: DecodedLine[] = [];
  let tailBytes = 0;
  for (let i = segs.length - 1; i >= 0 && head.length < totalLines; i--) {
    let stop = false;
    scanBackward(segs[i]!, (l) => {
      if (!shape.isMine(l)) return true;
      if (shape.n(l) <= headLastN) return ((stop = true), false);
      const size = shape.size(l);
      if (tail.length >= caps.tailLines || tailBytes + size > shape.tailByteCap) return ((stop = true), false);
      tail.push(l);
      tailBytes += size;
      if (shape.n(l) - 1 <= headLastN) stop = true;
      return !stop;
    });
    if (stop) break;
  }
  tail.reverse();
  return shape.text(head, tail, last);
}
