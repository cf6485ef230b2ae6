import { attemptLogKey } from './log/keys.js';
import type { LogStore, ReadOptions, ReadResult } from './store/contract.js';
import { currentAttempt, type Job } from './types.js';

/** A page of a job's log across its attempts, saying which attempt it is from and how many there are. */
export interface AttemptReadResult extends ReadResult {
  /** The attempt whose lines the page ends in. */
  readonly attempt: number;
  /** Attempts so far (the current one included). */
  readonly attempts: number;
}

/**
 * A job's log as readers see it: one sequence numbered on across attempts. Each attempt's log has its own seqs from
 * 1 (log/keys.ts); attempt n's line s is seq base(n) + s, where base(n) is the lines of the attempts before it
 * (kept in the job's attempt history). So a cursor taken in attempt 1 reads on into attempt 2, a tail shows the
 * current attempt, and `attempt` reads an earlier attempt's lines (with its own tail or a cursor in it).
 */
export async function readAttempts(
  logs: Pick<LogStore, 'read'>,
  job: Job,
  opts: ReadOptions & { readonly attempt?: number | undefined },
): Promise<AttemptReadResult> {
  const current = currentAttempt(job);
  const ended = new Map(job.attempts.map((a) => [a.n, a.log_lines]));
  const base = (n: number) => {
    let b = 0;
    for (let k = 1; k < n; k++) b += ended.get(k) ?? 0;
    return b;
  };
  /** Lines attempt n's part of the sequence holds (the current attempt: open-ended). */
  const span = (n: number) => (n >= current ? Infinity : (ended.get(n) ?? 0));
  const readOne = async (n: number, o: ReadOptions): Promise<AttemptReadResult> => {
    const b = base(n);
    const r = await logs.read(attemptLogKey(job.id, n), {
      ...o,
      cursor: o.cursor === undefined ? undefined : o.cursor - b,
    });
    const cap = span(n);
    const lines = r.lines.filter((l) => l.seq <= cap).map((l) => ({ ...l, seq: l.seq + b }));
    const within = Math.min(r.next_cursor, cap);
    return {
      ...r,
      lines,
      next_cursor: b + within,
      total_lines: b + Math.min(r.total_lines, cap),
      has_more: r.has_more && within < cap,
      attempt: n,
      attempts: current,
    };
  };
  if (current <= 1) return readOne(1, opts);
  if (opts.attempt !== undefined) {
    const n = Math.min(Math.max(1, opts.attempt), current);
    const cursor = opts.cursor === undefined ? undefined : Math.max(opts.cursor, base(n));
    return readOne(n, { ...opts, cursor });
  }
  if (opts.cursor === undefined) return readOne(current, opts);
  // From the attempt holding the line after the cursor, on through later attempts until the page is full.
  let n = 1;
  while (n < current && opts.cursor >= base(n) + span(n)) n++;
  let page = await readOne(n, { ...opts, cursor: Math.max(opts.cursor, base(n)) });
  const lines = [...page.lines];
  while (n < current && !page.has_more && lines.length < opts.limit) {
    n++;
    page = await readOne(n, { ...opts, limit: opts.limit - lines.length, cursor: base(n) });
    lines.push(...page.lines);
  }
  // A page that ends in an earlier attempt knows the lines before the current one, not the current one's own.
  return {
    ...page,
    lines,
    has_more: page.has_more || n < current,
    total_lines: n === current ? page.total_lines : base(current),
  };
}
