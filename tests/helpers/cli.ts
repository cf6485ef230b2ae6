import { spawnSync } from 'node:child_process';
import { CLI } from './mcp.js';

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a human CLI command of the built binary (`deckhand approve …`) as a person would, and waits for it. */
export function runCli(env: Record<string, string>, args: readonly string[], timeoutMs = 60_000): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
