import fs from 'node:fs';
import path from 'node:path';
import { isJobId } from './types.js';

/**
 * What a job keeps beside its record, by name: secret inputs that job records must never hold (a command's env
 * values, a deploy's env and compose text, the host key a new server gets), each 0600 and dropped once the work
 * has it; and launch marks, how far a remote start got. One owner for the per-job directory instead of three
 * copies of "a 0600 file beside the job".
 */
export type JobSecretName = 'env' | 'deploy-input' | 'host-key';

/**
 * Launch marks: `start-sent` before a remote start goes out, `launched` (the runner's pid) once the server
 * confirms it. Files, not store writes: they sit on every command's path.
 */
export type JobMark = 'start-sent' | 'launched';

/** The files of one job, as its handler sees them (`ctx.files`). */
export interface JobFilesView {
  readonly jobId: string;
  readSecret<T>(name: JobSecretName): Promise<T | undefined>;
  /** Kept only until the work has it: a re-run after a crash (before the drop) reads the same value. */
  putSecret(name: JobSecretName, value: unknown): Promise<void>;
  dropSecret(name: JobSecretName): Promise<void>;
  mark(name: JobMark, text: string): void;
  marked(name: JobMark): boolean;
}

export class JobFiles {
  constructor(private readonly home: string) {}

  /** Where a job's local files live; the id is validated before it ever becomes a path. */
  dir(id: string): string {
    if (!isJobId(id)) throw new Error(`invalid job id ${JSON.stringify(id)}`);
    return path.join(this.home, 'jobs', id);
  }

  /** Written before the job is created, so no runner ever sees a job whose secrets are missing. */
  async putSecret(id: string, name: JobSecretName, value: unknown): Promise<void> {
    const dir = this.dir(id);
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `${name}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.promises.writeFile(tmp, JSON.stringify(value), { mode: 0o600 });
    await fs.promises.rename(tmp, file);
  }

  /**
   * The files as one attempt's handler sees them: secrets are the job's (every attempt reads them), launch marks the
   * attempt's own (attempt n ≥ 2 writes "launched.n"), so a retry starts its work afresh.
   */
  forJob(id: string, attempt = 1): JobFilesView {
    const dir = this.dir(id);
    const secretFile = (name: JobSecretName) => path.join(dir, `${name}.json`);
    const markFile = (name: JobMark) => path.join(dir, attempt <= 1 ? name : `${name}.${attempt}`);
    return {
      jobId: id,
      readSecret: async <T>(name: JobSecretName) => {
        try {
          return JSON.parse(await fs.promises.readFile(secretFile(name), 'utf8')) as T;
        } catch {
          return undefined;
        }
      },
      putSecret: (name, value) => this.putSecret(id, name, value),
      dropSecret: (name) => fs.promises.rm(secretFile(name), { force: true }),
      mark: (name, text) => {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        fs.writeFileSync(markFile(name), text, { mode: 0o600 });
      },
      marked: (name) => fs.existsSync(markFile(name)),
    };
  }
}
