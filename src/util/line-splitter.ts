import { StringDecoder } from 'node:string_decoder';

/** Cuts `s` to at most `max` UTF-16 units without splitting a surrogate pair (which would become U+FFFD). */
export function cutChars(s: string, max: number): string {
  if (s.length <= max) return s;
  const end = max > 0 && /[\uD800-\uDBFF]/.test(s.charAt(max - 1)) ? max - 1 : max;
  return s.slice(0, end);
}

/**
 * Turns a byte stream into lines. Invalid UTF-8 becomes U+FFFD (StringDecoder does that).
 * A line longer than `maxLineChars` keeps only its first `maxLineChars` characters and is reported once,
 * as one line with `cut` set and its full byte size, so one endless line can neither grow memory nor
 * pass for thousands of lines.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private cutting = false;
  private droppedBytes = 0;

  constructor(
    private readonly onLine: (text: string, bytes: number, cut: boolean) => void,
    private readonly maxLineChars = 64 * 1024,
  ) {}

  /** Calls onLine for each complete line (without its newline; a CR before it is dropped too). */
  push(chunk: Buffer): void {
    const text = this.decoder.write(chunk);
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.append(text.slice(start, nl));
      this.flush(1);
      start = nl + 1;
    }
    this.append(text.slice(start));
  }

  /** Flushes the last line if the stream did not end with a newline. */
  end(): void {
    this.append(this.decoder.end());
    if (this.partial.length > 0 || this.cutting) this.flush(0);
  }

  private append(s: string): void {
    if (s.length === 0) return;
    if (this.cutting) {
      this.droppedBytes += Buffer.byteLength(s);
      return;
    }
    const joined = this.partial + s;
    if (joined.length <= this.maxLineChars) {
      this.partial = joined;
      return;
    }
    this.partial = cutChars(joined, this.maxLineChars);
    this.cutting = true;
    this.droppedBytes = Buffer.byteLength(joined) - Buffer.byteLength(this.partial);
  }

  private flush(newlineBytes: number): void {
    let text = this.partial;
    const bytes = Buffer.byteLength(text) + this.droppedBytes + newlineBytes;
    if (!this.cutting && text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1); // CRLF
    const cut = this.cutting;
    this.partial = '';
    this.cutting = false;
    this.droppedBytes = 0;
    this.onLine(text, bytes, cut);
  }
}
