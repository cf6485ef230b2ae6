import { StringDecoder } from 'node:string_decoder';

/**
 * Turns a byte stream into lines. Invalid UTF-8 becomes U+FFFD (StringDecoder does that);
 * a line longer than `maxLineBytes` is cut into pieces so one endless line cannot grow memory.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  constructor(
    private readonly onLine: (text: string, bytes: number) => void,
    private readonly maxLineChars = 64 * 1024,
  ) {}

  /** Returns nothing; calls onLine for each complete line (without its newline). */
  push(chunk: Buffer): void {
    let text = this.partial + this.decoder.write(chunk);
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      let end = nl;
      if (end > start && text.charCodeAt(end - 1) === 13) end--; // CRLF
      this.emit(text.slice(start, end), nl + 1 - start);
      start = nl + 1;
    }
    text = text.slice(start);
    while (text.length > this.maxLineChars) {
      this.emit(text.slice(0, this.maxLineChars), this.maxLineChars);
      text = text.slice(this.maxLineChars);
    }
    this.partial = text;
  }

  /** Flushes the last line if the stream did not end with a newline. */
  end(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest.length > 0) this.emit(rest, Buffer.byteLength(rest));
  }

  private emit(text: string, approxBytes: number): void {
    this.onLine(text, approxBytes);
  }
}
