import path from 'node:path';
import { DeckhandError } from '../../errors.js';
import type {
  JobStore,
  LogRemoval,
  LogRetentionPolicy,
  LogStore,
  LogSweepResult,
  LogWriter,
  ReadOptions,
  ReadResult,
  StreamSummary,
} from '../store/contract.js';
import { isJobId, isTerminal } from '../types.js';
import type { LogStream, Offsets } from './format.js';
import { parseLogKey } from './keys.js';
import { readLog } from './reader.js';
import { dropLog } from './removal.js';
import { sweepJobLogs } from './retention.js';
import { listSegments, segmentBytes } from './segments.js';
import { summarizeStream } from './summary.js';
import { FileLogWriter } from './writer.js';

/** Where a job's files live; the id is validated before it ever becomes a path. */
export function jobDir(home: string, id: string): string {
  if (!isJobId(id)) throw new Error(`invalid job id ${JSON.stringify(id)}`);
  return path.join(home, 'jobs', id);
}

/**
 * Where a log lives, by its key (log/keys.ts): attempt 1 in the job's directory, attempt n in its attempt-n
 * subdirectory, so removing the job's directory removes every attempt's log.
 */
export function logDir(home: string, key: string): string {
  const k = parseLogKey(key);
  if (!k) throw new Error(`invalid log key ${JSON.stringify(key)}`);
  const dir = jobDir(home, k.jobId);
  return k.attempt <= 1 ? dir : path.join(dir, `attempt-${k.attempt}`);
}

/** A disk that refuses a write (full, read-only, gone) is the store being unavailable: the caller resumes later. */
function unavailable(err: unknown, jobId: string): DeckhandError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return new DeckhandError('store_unavailable', `The log of ${jobId} could not be written (${code}).`, {
    hint: 'Free disk space under DECKHAND_HOME or check its permissions; the job resumes its log from the last line stored.',
    cause: err,
  });
}

/** The contract's writer over a file writer: a flush is synchronous underneath and durable once it returns. */
class FileLogHandle implements LogWriter {
  constructor(
    private readonly w: FileLogWriter,
    private readonly jobId: string,
  ) {}

  get seq(): number {
    return this.w.seq;
  }
  get offsets(): Readonly<Offsets> {
    return this.w.offsets;
  }
  get durableOffsets(): Readonly<Offsets> {
    return this.w.durableOffsets;
  }
  add(stream: LogStream, text: string, endOffset?: number, ts?: number): void {
    this.w.add(stream, text, endOffset, ts);
  }
  addRange(stream: LogStream, buf: Buffer, start: number, end: number, endOffset?: number, ts?: number): void {
    this.w.addRange(stream, buf, start, end, endOffset, ts);
  }
  addLines(s: 'stdout' | 'stderr', buf: Buffer, start: number, end: number, n: number, off: number, ts?: number) {
    this.w.addLines(s, buf, start, end, n, off, ts);
  }
  flush(): Promise<void> {
    try {
      this.w.flush();
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(unavailable(err, this.jobId));
    }
  }
  close(): Promise<void> {
    try {
      this.w.close();
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(unavailable(err, this.jobId));
    }
  }
}

/** Job logs as files under DECKHAND_HOME/jobs/<id>/ (embedded mode): segments of format v2, head + rolling tail. */
export class FileLogStore implements LogStore {
  constructor(
    private readonly home: string,
    /** Which jobs are finished, for retention. */
    private readonly jobs: Pick<JobStore, 'active' | 'get'> & Partial<Pick<JobStore, 'keptLogs'>>,
  ) {}

  dir(key: string): string {
    return logDir(this.home, key);
  }

  open(jobId: string, limits: { maxBytes: number }): Promise<LogWriter> {
    try {
      return Promise.resolve(new FileLogHandle(new FileLogWriter(this.dir(jobId), limits), jobId));
    } catch (err) {
      return Promise.reject(err instanceof Error && !('code' in err) ? err : unavailable(err, jobId));
    }
  }

  read(jobId: string, opts: ReadOptions): Promise<ReadResult> {
    return Promise.resolve(readLog(this.dir(jobId), opts));
  }

  summarize(
    jobId: string,
    stream: 'stdout' | 'stderr',
    caps: { headLines: number; tailLines: number; maxBytes: number },
  ): Promise<StreamSummary> {
    return Promise.resolve(summarizeStream(this.dir(jobId), stream, caps));
  }

  size(jobId: string): Promise<number> {
    return Promise.resolve(listSegments(this.dir(jobId)).reduce((n, f) => n + segmentBytes(f), 0));
  }

  remove(jobId: string, removal: LogRemoval): Promise<void> {
    return dropLog(this.dir(jobId), removal);
  }

  sweep(policy: LogRetentionPolicy, now: number): Promise<LogSweepResult> {
    return sweepJobLogs({
      home: this.home,
      policy,
      now: new Date(now),
      // Logs a template's history keeps count as active: retention leaves them.
      activeIds: async () =>
        new Set([...(await this.jobs.active()).map((j) => j.id), ...((await this.jobs.keptLogs?.()) ?? [])]),
      stateOf: async (id) => {
        const job = await this.jobs.get(id);
        return !job ? 'unknown' : isTerminal(job.status) ? 'finished' : 'active';
      },
    });
  }
}
