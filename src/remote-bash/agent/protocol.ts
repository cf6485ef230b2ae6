/**
 * The agent's wire format (the agent side is in sh-reader.ts and sh-poller.ts).
 *
 * Requests, one line each on the agent's stdin, fields separated by one space:
 *   launch <tag> <job> <command> <env> <cwd>     follow <tag> <job> <out offset> <err offset> [L: launch just sent]
 *   unfollow <tag> <job>    kill <tag> <job> <grace in 0.1 s>    cleanup <tag> <job|-> <keep minutes|->
 *   ping <tag>              quit 0
 * Payload fields are "-" when empty, else their UTF-8 bytes escaped for printf %b: every byte outside printable
 * ASCII, a space, a backslash or a lone "-" becomes \0ooo, so a field is one word and decodes to exactly its bytes.
 *
 * Frames on the agent's stdout are described in sh-poller.ts; AgentFrameParser decodes them.
 */

const ID_RE = /^[A-Za-z0-9_]{1,100}$/;

export function isAgentJobId(id: string): boolean {
  return ID_RE.test(id);
}

export function encodeField(value: string): string {
  if (value === '') return '-';
  const bytes = Buffer.from(value, 'utf8');
  let out = '';
  for (const b of bytes) {
    // 0x21..0x7e except the backslash pass as they are; a field of just "-" would read as empty.
    if (b > 0x20 && b < 0x7f && b !== 0x5c && !(b === 0x2d && bytes.length === 1)) out += String.fromCharCode(b);
    else out += `\\0${b.toString(8).padStart(3, '0')}`;
  }
  return out;
}

export type AgentFrame =
  | { type: 'hello'; protocol: number; pid: number }
  | { type: 'reply'; tag: number; word: string; text: string }
  /** Part of a data frame: `offset` is where `chunk` starts in the job's out or err file. */
  | { type: 'data'; job: string; stream: 'stdout' | 'stderr'; offset: number; chunk: Buffer }
  | { type: 'pid'; job: string; pid: number }
  | { type: 'exit'; job: string; status: number }
  | { type: 'lost'; job: string; reason: string };

export class AgentProtocolError extends Error {
  override readonly name = 'AgentProtocolError';
}

/** Incremental parser: feed it channel data in any chunking; data frames come out in pieces as their bytes arrive. */
export class AgentFrameParser {
  private buf: Buffer = Buffer.alloc(0);
  private want: { job: string; stream: 'stdout' | 'stderr'; offset: number; left: number } | undefined;

  constructor(private readonly emit: (f: AgentFrame) => void) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const w = this.want;
      if (w) {
        if (this.buf.length === 0) return;
        const take = Math.min(w.left, this.buf.length);
        const piece = this.buf.subarray(0, take);
        this.buf = this.buf.subarray(take);
        w.left -= take;
        if (w.left === 0) this.want = undefined;
        this.emit({ type: 'data', job: w.job, stream: w.stream, offset: w.offset, chunk: piece });
        w.offset += take;
        continue;
      }
      const nl = this.buf.indexOf(10);
      if (nl < 0) {
        if (this.buf.length > 512) throw new AgentProtocolError('the agent sent a frame header longer than 512 bytes');
        return;
      }
      const header = this.buf.subarray(0, nl).toString('latin1');
      this.buf = this.buf.subarray(nl + 1);
      this.header(header);
    }
  }

  private header(header: string): void {
    const f = header.split(' ');
    const kind = f[0];
    const int = (s: string | undefined): number => {
      if (s === undefined || !/^\d+$/.test(s))
        throw new AgentProtocolError(`bad number in frame "${header.slice(0, 80)}"`);
      return Number(s);
    };
    if ((kind === 'O' || kind === 'E') && f.length === 4) {
      const n = int(f[3]);
      if (n > 0)
        this.want = { job: f[1] ?? '', stream: kind === 'O' ? 'stdout' : 'stderr', offset: int(f[2]), left: n };
    } else if (kind === 'R' && f.length >= 3)
      this.emit({ type: 'reply', tag: int(f[1]), word: f[2] ?? '', text: f.slice(3).join(' ') });
    else if (kind === 'P' && f.length === 3) this.emit({ type: 'pid', job: f[1] ?? '', pid: int(f[2]) });
    else if (kind === 'X' && f.length === 3) this.emit({ type: 'exit', job: f[1] ?? '', status: int(f[2]) });
    else if (kind === 'L' && f.length === 3) this.emit({ type: 'lost', job: f[1] ?? '', reason: f[2] ?? '' });
    else if (kind === 'H' && f.length === 4 && f[1] === 'deckhand-agent')
      this.emit({ type: 'hello', protocol: int(f[2]), pid: int(f[3]) });
    else throw new AgentProtocolError(`unknown frame "${header.slice(0, 80)}"`);
  }
}
