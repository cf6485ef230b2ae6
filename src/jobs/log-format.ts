/** One line of a job's output as stored and returned. */
export interface LogLine {
  readonly seq: number;
  readonly ts: number;
  readonly stream: LogStream;
  readonly text: string;
}

export type LogStream = 'stdout' | 'stderr' | 'system';

/**
 * After a line: the remote byte offsets consumed so far (what a resume continues from) and how many
 * lines each stream has had (what a capped summary reports as omitted).
 */
export interface Offsets {
  out: number;
  err: number;
  outN: number;
  errN: number;
}

const CODE: Record<LogStream, string> = { stdout: 'o', stderr: 'e', system: 's' };
const STREAM: Record<string, LogStream> = { o: 'stdout', e: 'stderr', s: 'system' };

/**
 * Format v1 (written by earlier versions, still read: log-legacy.ts), one record per line:
 * `seq \t ts \t o|e|s \t outOffset \t errOffset \t outLines \t errLines \t text \n`. Text never holds a newline
 * (lines are split on it) and is the last field, so tabs inside it need no escaping. New logs are v2 (log-records.ts).
 */
export function encodeLine(l: LogLine, off: Offsets): string {
  return `${l.seq}\t${l.ts}\t${CODE[l.stream]}\t${off.out}\t${off.err}\t${off.outN}\t${off.errN}\t${l.text}\n`;
}

export interface DecodedLine extends LogLine {
  readonly off: Offsets;
}

export function decodeLine(s: string): DecodedLine | undefined {
  let i = 0;
  const fields: string[] = [];
  for (let k = 0; k < 7; k++) {
    const t = s.indexOf('\t', i);
    if (t < 0) return undefined;
    fields.push(s.slice(i, t));
    i = t + 1;
  }
  const [seq, ts, st, out, err, outN, errN] = fields;
  const stream = STREAM[st ?? ''];
  if (!stream) return undefined;
  return {
    seq: Number(seq),
    ts: Number(ts),
    stream,
    text: s.slice(i),
    off: { out: Number(out), err: Number(err), outN: Number(outN), errN: Number(errN) },
  };
}
