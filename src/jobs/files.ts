import fs from 'node:fs';
import path from 'node:path';
import { jobDir } from './job-log.js';

// Files a remote-bash job keeps beside its log: secret env values until the start, and how far the launch got.

/** Secret env values wait here (0600) until the remote side has them, so job records never hold them. */
export function writeSecretEnv(home: string, jobId: string, env: Record<string, string> | undefined): void {
  if (!env || Object.keys(env).length === 0) return;
  const dir = jobDir(home, jobId);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, 'env.json'), JSON.stringify(env), { mode: 0o600 });
}

export function dropSecretEnv(home: string, jobId: string): void {
  fs.rmSync(path.join(jobDir(home, jobId), 'env.json'), { force: true });
}

/**
 * Local markers of how far a job's launch got, beside its log: `start-sent` before the start script goes out,
 * `launched` (the runner's pid) once the server confirms it. Files, not store writes: they are on every command's
 * path, and a store write costs a lock and a rewrite of the document.
 */
export function mark(home: string, jobId: string, name: 'start-sent' | 'launched', text: string): void {
  fs.writeFileSync(path.join(jobDir(home, jobId), name), text, { mode: 0o600 });
}

/**
 * proven: the runner's pid was seen, so a missing remote directory means the job's state was lost.
 * sent: a start went out and may have launched the command, so stopping it needs the server.
 * Jobs from older versions recorded the same in their runtime fields.
 */
export function launchState(
  home: string,
  job: { id: string; runtime: Record<string, unknown> },
): 'proven' | 'sent' | 'no' {
  const dir = jobDir(home, job.id);
  if (typeof job.runtime.runner_pid === 'number' || fs.existsSync(path.join(dir, 'launched'))) return 'proven';
  if (typeof job.runtime.launched_at === 'string' || fs.existsSync(path.join(dir, 'start-sent'))) return 'sent';
  return 'no';
}

export function readSecretEnv(home: string, jobId: string): Record<string, string> | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(jobDir(home, jobId), 'env.json'), 'utf8')) as Record<string, string>;
  } catch {
    return undefined;
  }
}
