import fs from 'node:fs';
import type { Job, JobStatus } from './types.js';
import { readWholeLines } from './whole-lines.js';

/** What list filters look at, without reading the record. */
export interface ArchivedSummary {
  readonly id: string;
  readonly status: JobStatus;
  readonly server: string | null;
  readonly type: string;
}

interface Entry {
  readonly id: string;
  readonly offset: number;
  readonly length: number;
  readonly kind: number;
}

/** The index's arrays, in id order. */
interface IndexView {
  ids: string[];
  offsets: number[];
  lengths: number[];
  kinds: number[];
}

/**
 * Finished jobs past retention, one JSON record a line, appended only. Held in memory as an index (id -> byte range,
 * plus the fields list filters use), sorted by id and extended from the bytes appended since the last look, so
 * neither memory nor a lookup grows with whole records; a record is read from disk when asked for.
 */
export class JobArchive {
  // Parallel arrays sorted by id: a few dozen bytes an entry, where parsed records would be a few kilobytes.
  private index: IndexView = emptyIndex();
  /** Distinct (status, server, type) triples, numbered: kinds[i] indexes this. */
  private readonly kindList: Omit<ArchivedSummary, 'id'>[] = [];
  private readonly kindCodes = new Map<string, number>();
  /** The file indexed so far: its inode and the offset just past the last whole line read. */
  private ino = -1;
  private indexedTo = 0;
  private indexing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  appendSync(jobs: readonly Job[]): void {
    if (jobs.length === 0) return;
    const fd = fs.openSync(this.file, 'a+', 0o600);
    try {
      // A crash mid-append leaves a torn last line: start on a fresh line, or the first record would be glued to the
      // torn one and skipped as unreadable, then dropped from jobs.json.
      const size = fs.fstatSync(fd).size;
      const last = Buffer.alloc(1);
      const torn = size > 0 && fs.readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
      fs.writeSync(fd, (torn ? '\n' : '') + jobs.map(line).join('\n') + '\n');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  async get(id: string): Promise<Job | undefined> {
    return this.withFile(async (fh, v) => {
      const i = lowerBound(v.ids, id);
      return v.ids[i] === id ? readRecord(fh, v, i) : undefined;
    });
  }

  /**
   * Up to `limit` archived jobs, newest (highest id) first, with ids below `before` when given, that `keep` accepts
   * by their summary: only those records are read.
   */
  async newest(limit: number, keep: (s: ArchivedSummary) => boolean, before?: string): Promise<Job[]> {
    return (
      (await this.withFile(async (fh, v) => {
        const out: Job[] = [];
        let i = (before === undefined ? v.ids.length : lowerBound(v.ids, before)) - 1;
        for (; i >= 0 && out.length < limit; i--) {
          const kind = this.kindList[v.kinds[i] as number] as Omit<ArchivedSummary, 'id'>;
          if (!keep({ id: v.ids[i] as string, ...kind })) continue;
          const job = await readRecord(fh, v, i);
          if (job) out.push(job);
        }
        return out;
      })) ?? []
    );
  }

  /** Brings the index up to date with the file; cheap when nothing was appended. */
  async refresh(): Promise<void> {
    await this.withFile(async () => undefined);
  }

  /** The id of the oldest job archived (ids sort by creation time), once the index is up to date. */
  async oldestId(): Promise<string | undefined> {
    return this.withFile(async (_fh, v) => v.ids[0]);
  }

  get path(): string {
    return this.file;
  }

  /** How many distinct jobs the index holds. */
  get size(): number {
    return this.index.ids.length;
  }

  /**
   * Runs `fn` with the archive open and indexed up to its current end, on a view of the index as it was then (later
   * appends only extend the arrays or replace them), reading records through the same descriptor.
   */
  private async withFile<R>(fn: (fh: fs.promises.FileHandle, view: IndexView) => Promise<R>): Promise<R | undefined> {
    let fh;
    try {
      fh = await fs.promises.open(this.file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.reset(-1);
      return undefined;
    }
    try {
      // One catch-up at a time: two reading the same new bytes would index them twice and skip past the file's end.
      const step = this.indexing.then(async () => {
        const st = await fh.stat();
        // Replaced or cut short (moved aside by hand): index the new file from its start.
        if (st.ino !== this.ino || st.size < this.indexedTo) this.reset(st.ino);
        await this.indexFrom(fh, st.size);
        return this.index;
      });
      this.indexing = step.then(
        () => undefined,
        () => undefined,
      );
      return await fn(fh, await step);
    } finally {
      await fh.close();
    }
  }

  private reset(ino: number): void {
    this.ino = ino;
    this.indexedTo = 0;
    this.index = emptyIndex();
  }

  /** Reads only the bytes appended since the last look, up to the last whole line. */
  private async indexFrom(fh: fs.promises.FileHandle, size: number): Promise<void> {
    // Committed together at the end: a failed read leaves the index as it was, to be caught up next time.
    const added: Entry[] = [];
    const to = await readWholeLines(fh, this.indexedTo, size, (buf, end, base) => {
      const text = buf.toString('latin1', 0, end);
      for (let start = 0; start <= end;) {
        const nl = buf.indexOf(0x0a, start);
        const s = nl - start > 0 ? this.summarize(text, start, nl) : undefined;
        if (s) added.push({ id: s.id, kind: s.kind, offset: base + start, length: nl - start });
        start = nl + 1;
      }
    });
    this.insert(added);
    this.indexedTo = to;
  }

  /** The id and kind of the record on text[start, end), numbering the kind when it is new. */
  private summarize(text: string, start: number, end: number): { id: string; kind: number } | undefined {
    const s = readSummary(text, start, end);
    if (!s) return undefined;
    const key = `${s.status}\u0000${s.server ?? '\u0001'}\u0000${s.type}`;
    let kind = this.kindCodes.get(key);
    if (kind === undefined) {
      kind = this.kindList.push({ status: s.status, server: s.server, type: s.type }) - 1;
      this.kindCodes.set(key, kind);
    }
    // A copy of the id alone, not a slice that would keep the whole chunk's string alive.
    return { id: Buffer.from(s.id, 'latin1').toString('latin1'), kind };
  }

  /** Adds entries in id order; a job archived twice (a crash between append and rewrite) keeps its latest copy. */
  private insert(added: Entry[]): void {
    const v = this.index;
    const fresh: Entry[] = [];
    for (const e of added) {
      const i = lowerBound(v.ids, e.id);
      if (v.ids[i] === e.id) set(v, i, e);
      else fresh.push(e);
    }
    const last = v.ids.at(-1);
    if (fresh.every((e, k) => e.id > (k === 0 ? (last ?? '') : (fresh[k - 1] as Entry).id))) {
      // The usual case: jobs are archived roughly in id order.
      for (const e of fresh) push(v, e);
    } else if (fresh.length <= 64) {
      // A few older ones (a long job that finished late): copies with them spliced in are cheaper than a merge. Copies,
      // because a reader walking the old view by position must not see it shift.
      const next = {
        ids: v.ids.slice(),
        offsets: v.offsets.slice(),
        lengths: v.lengths.slice(),
        kinds: v.kinds.slice(),
      };
      for (const e of fresh) {
        const i = lowerBound(next.ids, e.id);
        if (next.ids[i] === e.id) set(next, i, e);
        else insertAt(next, i, e);
      }
      this.index = next;
    } else {
      this.index = merged(v, fresh);
    }
  }
}

/** The index with `fresh` merged in, the later of two entries for one id kept. A new index, so views stay intact. */
function merged(v: IndexView, fresh: Entry[]): IndexView {
  const latest = new Map<string, Entry>();
  for (const e of fresh) latest.set(e.id, e);
  const sorted = [...latest.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  const next = emptyIndex();
  let i = 0;
  for (const e of sorted) {
    while (i < v.ids.length && (v.ids[i] as string) < e.id) push(next, entryAt(v, i++));
    if (v.ids[i] === e.id) i++;
    push(next, e);
  }
  while (i < v.ids.length) push(next, entryAt(v, i++));
  return next;
}

/**
 * The summary of the record on text[start, end), where text is the file decoded as latin1 (one character a byte, so
 * positions are byte offsets). Records written here lead with the summary, so a pattern reads it off the start without
 * parsing the whole record; any other line (an older deckhand's) is parsed in full. Undefined for a torn line.
 */
function readSummary(text: string, start: number, end: number): ArchivedSummary | undefined {
  type Loose = { id?: unknown; status?: unknown; server?: unknown; type?: unknown };
  let j: Loose;
  try {
    // A torn line can only pass the pattern if cut just after a brace; its record is appended again after it anyway.
    const m = text.charCodeAt(end - 1) === 0x7d ? SUMMARY.exec(text.slice(start, Math.min(end, start + 1024))) : null;
    j = m
      ? { id: m[1], status: m[2], server: JSON.parse(utf8(m[3] as string)), type: JSON.parse(utf8(m[4] as string)) }
      : (JSON.parse(utf8(text.slice(start, end))) as Loose);
  } catch {
    // A torn line after a crash: skip it, the record is still in jobs.json and will be appended again.
    return undefined;
  }
  if (typeof j.id !== 'string' || typeof j.status !== 'string' || typeof j.type !== 'string') return undefined;
  const server = typeof j.server === 'string' ? j.server : null;
  return { id: j.id, status: j.status as JobStatus, server, type: j.type };
}

function utf8(latin1: string): string {
  return NON_ASCII.test(latin1) ? Buffer.from(latin1, 'latin1').toString('utf8') : latin1;
}

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** Summary fields first, so indexing reads them off the start of the line (see summarize). */
function line(j: Job): string {
  const { id, status, server, type, ...rest } = j;
  return JSON.stringify({ id, status, server, type, ...rest });
}

// Server and type are JSON strings (escapes included); UTF-8 bytes read as latin1 are never a quote or a backslash.
const SUMMARY =
  /^\{"id":"(job_[0-9A-Z]{26})","status":"([a-z]+)","server":(null|"(?:[^"\\]|\\.)*"),"type":("(?:[^"\\]|\\.)*"),/;

function emptyIndex(): IndexView {
  return { ids: [], offsets: [], lengths: [], kinds: [] };
}

function push(to: IndexView, e: Entry): void {
  to.ids.push(e.id);
  to.offsets.push(e.offset);
  to.lengths.push(e.length);
  to.kinds.push(e.kind);
}

function set(v: IndexView, i: number, e: Entry): void {
  v.offsets[i] = e.offset;
  v.lengths[i] = e.length;
  v.kinds[i] = e.kind;
}

function insertAt(v: IndexView, i: number, e: Entry): void {
  v.ids.splice(i, 0, e.id);
  v.offsets.splice(i, 0, e.offset);
  v.lengths.splice(i, 0, e.length);
  v.kinds.splice(i, 0, e.kind);
}

function entryAt(v: IndexView, i: number): Entry {
  return {
    id: v.ids[i] as string,
    offset: v.offsets[i] as number,
    length: v.lengths[i] as number,
    kind: v.kinds[i] as number,
  };
}

/** The first position whose id is not below `id`. */
function lowerBound(ids: readonly string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] as string) < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

async function readRecord(fh: fs.promises.FileHandle, v: IndexView, i: number): Promise<Job | undefined> {
  const buf = Buffer.alloc(v.lengths[i] as number);
  await fh.read(buf, 0, buf.length, v.offsets[i] as number);
  try {
    return JSON.parse(buf.toString('utf8')) as Job;
  } catch {
    return undefined;
  }
}
