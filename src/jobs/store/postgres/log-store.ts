import type { DecodedLine } from '../../log/format.js';
import { gapMarker, lineFilter, SummaryShape, withGaps } from '../../log/view.js';
import type {
  LogRemoval,
  LogRetentionPolicy,
  LogStore,
  LogSweepResult,
  LogWriter,
  ReadOptions,
  ReadResult,
  StreamSummary,
} from '../contract.js';
import type { PostgresBackend } from './backend.js';
import { capEdges, chunkBackward, chunkForward, chunksBackward, chunksForward } from './log-chunks.js';
import { sweepPgLogs } from './log-retention.js';
import { loadLogState, PgLogWriter } from './log-writer.js';

/** Bytes of log a filtered read scans at most before answering with what it found (as the file reader). */
const SCAN_BUDGET = 32 * 1024 * 1024;

/** Job logs in chunk rows (log_chunks) with one head row per job (log_heads): totals and the removal note. */
export class PgLogStore implements LogStore {
  constructor(private readonly b: PostgresBackend) {}

  async open(jobId: string, limits: { maxBytes: number }): Promise<LogWriter> {
    return new PgLogWriter(this.b, jobId, limits, await loadLogState(this.b, jobId));
  }

  private head(jobId: string) {
    return this.b.read((db) => db.selectFrom('log_heads').selectAll().where('job_id', '=', jobId).executeTakeFirst());
  }

  async read(jobId: string, opts: ReadOptions): Promise<ReadResult> {
    const h = await this.head(jobId);
    if (h?.removed_at) {
      const removed: LogRemoval = {
        removed_at: h.removed_at,
        reason: h.removed_reason ?? '',
        total_lines: h.removed_lines ?? 0,
        log_bytes: h.removed_bytes ?? 0,
      };
      return {
        lines: [],
        next_cursor: Math.max(opts.cursor ?? 0, removed.total_lines),
        has_more: false,
        total_lines: removed.total_lines,
        log_bytes: 0,
        removed,
      };
    }
    const total = h?.last_seq ?? 0;
    const log_bytes = h?.bytes ?? 0;
    if (opts.limit === 0 || total === 0)
      return {
        lines: [],
        next_cursor: opts.cursor ?? total,
        has_more: (opts.cursor ?? total) < total,
        total_lines: total,
        log_bytes,
      };
    const want = lineFilter(opts);
    const picked: DecodedLine[] = [];
    let scanned = 0;
    if (opts.cursor === undefined) {
      let exhausted = true;
      for await (const c of chunksBackward(this.b, jobId)) {
        chunkBackward(c, (l) => {
          if (want(l)) picked.push(l);
          return picked.length < opts.limit;
        });
        scanned += c.data.length;
        if (picked.length >= opts.limit) break;
        if (scanned > SCAN_BUDGET) {
          exhausted = false;
          break;
        }
      }
      picked.reverse();
      return {
        lines: withGaps(picked, await this.marker(jobId, picked)),
        next_cursor: total,
        has_more: false,
        total_lines: total,
        log_bytes,
        truncated: !exhausted,
      };
    }
    const after = opts.cursor;
    let lastScanned = after;
    let stopped = false;
    for await (const c of chunksForward(this.b, jobId, after)) {
      chunkForward(c, after, (l) => {
        scanned += l.text.length + 24;
        lastScanned = l.seq;
        if (want(l)) picked.push(l);
        stopped = picked.length >= opts.limit || scanned > SCAN_BUDGET;
        return !stopped;
      });
      if (stopped) break;
    }
    return {
      lines: withGaps(picked, await this.marker(jobId, picked), after),
      next_cursor: lastScanned,
      has_more: lastScanned < total,
      total_lines: total,
      log_bytes,
    };
  }

  /** The cap marker, looked up only when a page returns lines. */
  private async marker(jobId: string, picked: DecodedLine[]) {
    if (picked.length === 0) return undefined;
    const { headLast, tailFirst } = await capEdges(this.b, jobId);
    return gapMarker(headLast, tailFirst);
  }

  async summarize(
    jobId: string,
    stream: 'stdout' | 'stderr',
    caps: { headLines: number; tailLines: number; maxBytes: number },
  ): Promise<StreamSummary> {
    const shape = new SummaryShape(stream, caps);
    let last: DecodedLine | undefined;
    for await (const c of chunksBackward(this.b, jobId)) {
      chunkBackward(c, (l) => ((last = l), false));
      if (last) break;
    }
    if (!last) return { text: '', truncated: false, total_lines: 0, total_bytes: 0 };
    const totalLines = shape.n(last);
    if (totalLines === 0) return { text: '', truncated: false, total_lines: 0, total_bytes: shape.bytesAt(last) };

    const head: DecodedLine[] = [];
    let headBytes = 0;
    let headDone = false;
    for await (const c of chunksForward(this.b, jobId, 0)) {
      chunkForward(c, 0, (l) => {
        if (!shape.isMine(l)) return true;
        const size = shape.size(l);
        if (head.length >= caps.headLines || headBytes + size > shape.headByteCap) return !(headDone = true);
        head.push(l);
        headBytes += size;
        headDone = shape.n(l) >= totalLines;
        return !headDone;
      });
      if (headDone) break;
    }
    const headLastN = head.length ? shape.n(head.at(-1)!) : 0;
    const tail: DecodedLine[] = [];
    let tailBytes = 0;
    let stop = head.length >= totalLines;
    for await (const c of chunksBackward(this.b, jobId)) {
      if (stop) break;
      chunkBackward(c, (l) => {
        if (!shape.isMine(l)) return true;
        if (shape.n(l) <= headLastN) return !(stop = true);
        const size = shape.size(l);
        if (tail.length >= caps.tailLines || tailBytes + size > shape.tailByteCap) return !(stop = true);
        tail.push(l);
        tailBytes += size;
        stop = shape.n(l) - 1 <= headLastN;
        return !stop;
      });
    }
    tail.reverse();
    return shape.text(head, tail, last);
  }

  async size(jobId: string): Promise<number> {
    const h = await this.head(jobId);
    return h && !h.removed_at ? h.bytes : 0;
  }

  async remove(jobId: string, removal: LogRemoval): Promise<void> {
    await this.b.write(async (trx) => {
      await trx.deleteFrom('log_chunks').where('job_id', '=', jobId).execute();
      const row = {
        last_seq: removal.total_lines,
        bytes: 0,
        removed_at: removal.removed_at,
        removed_reason: removal.reason,
        removed_lines: removal.total_lines,
        removed_bytes: removal.log_bytes,
      };
      await trx
        .insertInto('log_heads')
        .values({ job_id: jobId, ...row })
        .onConflict((oc) => oc.column('job_id').doUpdateSet(row))
        .execute();
    });
  }

  sweep(policy: LogRetentionPolicy, now: number): Promise<LogSweepResult> {
    return sweepPgLogs(this.b, policy, now);
  }
}
