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

/** A stored line with the offsets after it, as the record format (records.ts) gives it back. */
export interface DecodedLine extends LogLine {
  readonly off: Offsets;
}

export const NO_OFFSETS: Readonly<Offsets> = Object.freeze({ out: 0, err: 0, outN: 0, errN: 0 });
