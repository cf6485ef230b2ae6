import { isJobId } from '../types.js';

/**
 * Each attempt of a job keeps its own log, under its own key: the first under the job's id (so every log written
 * before retries existed is attempt 1's), attempt n ≥ 2 under "<job id>.<n>". Seqs start at 1 in each; the job
 * service numbers them on across attempts (service.ts), so a cursor follows a job from one attempt into the next.
 */
export function attemptLogKey(jobId: string, attempt: number): string {
  return attempt <= 1 ? jobId : `${jobId}.${attempt}`;
}

const KEY_RE = /^(job_[0-9A-HJKMNP-TV-Z]{26})(?:\.([1-9]\d{0,2}))?$/;

/** The job and attempt a log key names; undefined for anything else (keys reach file paths). */
export function parseLogKey(key: string): { jobId: string; attempt: number } | undefined {
  const m = KEY_RE.exec(key);
  if (!m || !isJobId(m[1] as string)) return undefined;
  return { jobId: m[1] as string, attempt: m[2] === undefined ? 1 : Number(m[2]) };
}

/** Every key a job's logs may have used, up to `starts` (its start counter bounds its attempts). */
export function logKeysOf(jobId: string, starts: number): string[] {
  return Array.from({ length: Math.max(1, starts) }, (_, i) => attemptLogKey(jobId, i + 1));
}
