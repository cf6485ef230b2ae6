import fs from 'node:fs';
import path from 'node:path';
import type { SecretStore } from './store/contract.js';
import { isJobId } from './types.js';

/**
 * What a job keeps beside its record, by name: secret inputs that job records must never hold (a command's env
 * values, a deploy's env and compose text, the host key a new server gets), each dropped once the work has it; and
 * launch marks, how far a remote start got. One owner for "what a job keeps beside its record" instead of three
 * copies of it. Embedded mode: 0600 files in the job's directory. PostgreSQL mode: the shared secret store (sealed
 * with DECKHAND_SECRET_KEY), so whichever instance runs or takes over the job finds them.
 */
export type JobSecretName = 'env' | 'deploy-input' | 'host-key';

/** Launch marks: `start-sent` before a remote start goes out, `launched` (the runner's pid) once the server confirms it. */
export type JobMark = 'start-sent' | 'launched';

const SECRETS: readonly JobSecretName[] = ['env', 'deploy-input', 'host-key'];
const MARKS: readonly JobMark[] = ['start-sent', 'launched'];

/** The files of one job, as its handler sees them (`ctx.files`). */
export interface JobFilesView {
  readonly jobId: string;
  readSecret<T>(name: JobSecretName): Promise<T | undefined>;
  /** Kept only until the work has it: a re-run after a crash (before the drop) reads the same value. */
  putSecret(name: JobSecretName, value: unknown): Promise<void>;
  dropSecret(name: JobSecretName): Promise<void>;
  /** Durable once it resolves. Only the job's owner marks, so `marked` answers from what was read at the run's start. */
  mark(name: JobMark, text: string): Promise<void>;
  marked(name: JobMark): boolean;
}

export interface JobFiles {
  /** Written before the job is created, so no runner ever sees a job whose secrets are missing. */
  putSecret(id: string, name: JobSecretName, value: unknown): Promise<void>;
  /**
   * The view one attempt's run gets, its marks read once (the run's owner is the only one to mark). Secrets are the
   * job's (every attempt reads them); launch marks are the attempt's own (attempt n ≥ 2 marks "launched.n"), so a
   * retry starts its work afresh.
   */
  forJob(id: string, attempt?: number): Promise<JobFilesView>;
  /**
   * An ended job's secrets left over are removed (nothing needs them once the job is terminal). Marks may stay:
   * files until log retention removes the job's directory; the shared store drops those of its `attempts` too (its
   * table would grow).
   */
  clear(id: string, attempts?: number): Promise<void>;
}

/** The job system's files for the backend: files under DECKHAND_HOME, or the shared secret store. */
export function jobFilesFor(kind: 'sqlite' | 'postgres', home: string, secrets: SecretStore): JobFiles {
  return kind === 'postgres' ? new SharedJobFiles(secrets) : new LocalJobFiles(home);
}

/** A mark's name for an attempt: attempt 1 keeps the plain name, so jobs from before retries read as attempt 1. */
function markName(name: JobMark, attempt: number): string {
  return attempt <= 1 ? name : `${name}.${attempt}`;
}

/** Embedded mode: files in DECKHAND_HOME/jobs/<id>/ (beside the job's log), each 0600. */
export class LocalJobFiles implements JobFiles {
  constructor(private readonly home: string) {}

  /** Where a job's local files live; the id is validated before it ever becomes a path. */
  dir(id: string): string {
    if (!isJobId(id)) throw new Error(`invalid job id ${JSON.stringify(id)}`);
    return path.join(this.home, 'jobs', id);
  }

  async putSecret(id: string, name: JobSecretName, value: unknown): Promise<void> {
    const dir = this.dir(id);
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `${name}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.promises.writeFile(tmp, JSON.stringify(value), { mode: 0o600 });
    await fs.promises.rename(tmp, file);
  }

  async forJob(id: string, attempt = 1): Promise<JobFilesView> {
    const dir = this.dir(id);
    const secretFile = (name: JobSecretName) => path.join(dir, `${name}.json`);
    const markFile = (name: JobMark) => path.join(dir, markName(name, attempt));
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
      // Synchronous underneath: a mark sits on every command's path and costs a small file write.
      mark: async (name, text) => {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        fs.writeFileSync(markFile(name), text, { mode: 0o600 });
      },
      marked: (name) => fs.existsSync(markFile(name)),
    };
  }

  async clear(id: string): Promise<void> {
    const dir = this.dir(id);
    // The log and the marks beside them stay, as before: log retention removes the directory whole.
    for (const s of SECRETS) await fs.promises.rm(path.join(dir, `${s}.json`), { force: true });
  }
}

/**
 * PostgreSQL mode: the secret store, under `jobs/<id>/secret/<name>` and `jobs/<id>/mark/<name>`. Marks are not
 * secret, but they must reach the instance that takes the job over as surely as its secrets do.
 */
export class SharedJobFiles implements JobFiles {
  constructor(private readonly secrets: SecretStore) {}

  private key(id: string, kind: 'secret' | 'mark', name: string): string {
    if (!isJobId(id)) throw new Error(`invalid job id ${JSON.stringify(id)}`);
    return `jobs/${id}/${kind}/${name}`;
  }

  async putSecret(id: string, name: JobSecretName, value: unknown): Promise<void> {
    await this.secrets.put(this.key(id, 'secret', name), JSON.stringify(value));
  }

  async forJob(id: string, attempt = 1): Promise<JobFilesView> {
    const marks = new Set<JobMark>();
    const markKey = (m: JobMark) => this.key(id, 'mark', markName(m, attempt));
    // Two key lookups rather than a prefix listing: the table holds every job's keys.
    const found = await Promise.all(MARKS.map((m) => this.secrets.get(markKey(m))));
    MARKS.forEach((m, i) => found[i] !== undefined && marks.add(m));
    return {
      jobId: id,
      readSecret: async <T>(name: JobSecretName) => {
        const text = await this.secrets.get(this.key(id, 'secret', name));
        return text === undefined ? undefined : (JSON.parse(text) as T);
      },
      putSecret: (name, value) => this.putSecret(id, name, value),
      dropSecret: (name) => this.secrets.delete(this.key(id, 'secret', name)),
      mark: async (name, text) => {
        await this.secrets.put(markKey(name), text);
        marks.add(name);
      },
      marked: (name) => marks.has(name),
    };
  }

  async clear(id: string, attempts = 1): Promise<void> {
    const numbers = Array.from({ length: Math.max(1, attempts) }, (_, i) => i + 1);
    await Promise.all([
      ...SECRETS.map((s) => this.secrets.delete(this.key(id, 'secret', s))),
      ...numbers.flatMap((n) => MARKS.map((m) => this.secrets.delete(this.key(id, 'mark', markName(m, n))))),
    ]);
  }
}
