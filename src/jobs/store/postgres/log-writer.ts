import { sql } from '../kysely.js';
import { RecordBatch } from '../../log/batch.js';
import { NO_OFFSETS, type LogStream, type Offsets } from '../../log/format.js';
import type { LogWriter } from '../contract.js';
import { storeUnavailable } from '../errors.js';
import type { PostgresBackend } from './backend.js';

/** Where a job's log stands in the database: its last stored line and the segment being filled. */
export interface LogState {
  readonly seq: number;
  readonly offsets: Offsets;
  readonly segment: number;
  readonly segmentBytes: number;
}

export async function loadLogState(b: PostgresBackend, jobId: string): Promise<LogState> {
  return b.read(async (db) => {
    const last = await db
      .selectFrom('log_chunks')
      .select(['last_seq', 'segment', 'out_off', 'err_off', 'out_n', 'err_n'])
      .where('job_id', '=', jobId)
      .orderBy('first_seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!last) return { seq: 0, offsets: { ...NO_OFFSETS }, segment: 0, segmentBytes: 0 };
    const seg = await db
      .selectFrom('log_chunks')
      .select((eb) => eb.fn.sum<number>('bytes').as('n'))
      .where('job_id', '=', jobId)
      .where('segment', '=', last.segment)
      .executeTakeFirst();
    return {
      seq: last.last_seq,
      offsets: { out: last.out_off, err: last.err_off, outN: last.out_n, errN: last.err_n },
      segment: last.segment,
      segmentBytes: Number(seg?.n ?? 0),
    };
  });
}

/**
 * A job's log written as chunk rows: each flush stores the records gathered since the last one (format v2, the same
 * bytes and index entries as a file segment) in one row, with the seq range, timestamps and the offsets after it,
 * and moves the job's head row on, in one statement. Capped like the file log: a head of maxBytes/2, then tail
 * segments of maxBytes/4 of which the two newest are kept.
 *
 * Flushes are written one at a time; lines added while one is under way go into the next, so a stream that flushes
 * often gets fewer, larger rows (group commit). When a flush is refused, everything not yet stored is dropped and
 * the offsets go back to `durableOffsets`: the caller resumes from there before adding more lines. Because a write
 * may have landed though its answer was lost, the next flush first compares with the database; if the lost write
 * did land, it moves `durableOffsets` to it and refuses once more, so the caller resumes from there.
 */
export class PgLogWriter implements LogWriter {
  private readonly batch = new RecordBatch();
  private chain: Promise<void> = Promise.resolve();
  private state: LogState;
  private durableSeq: number;
  readonly durableOffsets: Offsets;
  private resync = false;

  constructor(
    private readonly b: PostgresBackend,
    private readonly jobId: string,
    private readonly limits: { maxBytes: number },
    state: LogState,
  ) {
    this.state = state;
    this.durableSeq = state.seq;
    this.durableOffsets = { ...state.offsets };
    this.batch.reset(state.seq, state.offsets);
  }

  get seq(): number {
    return this.batch.seq;
  }
  get offsets(): Readonly<Offsets> {
    return this.batch.offsets;
  }

  add(stream: LogStream, text: string, endOffset?: number, ts?: number): void {
    this.batch.add(stream, text, endOffset, ts);
  }
  addRange(stream: LogStream, buf: Buffer, start: number, end: number, endOffset?: number, ts?: number): void {
    this.batch.addRange(stream, buf, start, end, endOffset, ts);
  }
  addLines(s: 'stdout' | 'stderr', buf: Buffer, start: number, end: number, n: number, off: number, ts?: number) {
    this.batch.addLines(s, buf, start, end, n, off, ts);
  }

  flush(): Promise<void> {
    const p = this.chain.then(() => this.write());
    this.chain = p.catch(() => undefined);
    return p;
  }

  close(): Promise<void> {
    return this.flush();
  }

  private async write(): Promise<void> {
    try {
      if (this.resync) await this.compare();
      const p = this.batch.take();
      if (!p) return;
      const bytes = p.bytes + p.entries.length;
      const half = Math.floor(this.limits.maxBytes / 2);
      const cap = this.state.segment === 0 ? half : Math.floor(half / 2);
      const roll = this.state.segmentBytes > 0 && this.state.segmentBytes + bytes > cap;
      const segment = roll ? this.state.segment + 1 : this.state.segment;
      // Rolling to tail n drops tails older than n-1: the head and the two newest tails stay.
      const dropBelow = roll ? segment - 1 : 1;
      const o = p.offsets;
      // One statement, atomic on its own: no BEGIN and COMMIT round trips around it.
      await this.b.read((db) =>
        sql`with dropped as (
              delete from log_chunks where job_id = ${this.jobId} and segment >= 1 and segment < ${dropBelow}
              returning bytes
            ), added as (
              insert into log_chunks (job_id, first_seq, last_seq, segment, first_ts, last_ts, out_off, err_off,
                                      out_n, err_n, bytes, data, entries)
              values (${this.jobId}, ${p.firstSeq}, ${p.lastSeq}, ${segment}, ${p.firstTs}, ${p.lastTs}, ${o.out},
                      ${o.err}, ${o.outN}, ${o.errN}, ${bytes}, ${p.data}, ${p.entries})
            )
            insert into log_heads (job_id, last_seq, bytes)
            values (${this.jobId}, ${p.lastSeq}, ${bytes}::bigint - coalesce((select sum(bytes) from dropped), 0))
            on conflict (job_id) do update set last_seq = excluded.last_seq, bytes = log_heads.bytes + excluded.bytes,
              removed_at = null, removed_reason = null, removed_lines = null, removed_bytes = null`.execute(db),
      );
      this.state = {
        seq: p.lastSeq,
        offsets: o,
        segment,
        segmentBytes: roll ? bytes : this.state.segmentBytes + bytes,
      };
      this.durableSeq = p.lastSeq;
      Object.assign(this.durableOffsets, o);
    } catch (err) {
      this.resync = true;
      this.batch.reset(this.durableSeq, this.durableOffsets);
      throw err;
    }
  }

  /** After a refused flush: the database's word on where the log stands. */
  private async compare(): Promise<void> {
    const state = await loadLogState(this.b, this.jobId);
    this.resync = false;
    this.state = state;
    if (state.seq === this.durableSeq) return;
    this.durableSeq = state.seq;
    Object.assign(this.durableOffsets, state.offsets);
    throw storeUnavailable(
      `PostgreSQL at ${this.b.target.location}`,
      `the log of ${this.jobId} was stored up to line ${state.seq} after all; resume from there`,
    );
  }
}
