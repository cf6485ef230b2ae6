import type { RemoteShell } from '../../ssh/remote-shell.js';
import { listScript } from './scripts.js';
import type { ReleaseRecord } from './types.js';

export interface DeployedApp {
  readonly record: ReleaseRecord;
  /** `running` when every service runs all its replicas, `degraded` when some do not, `missing` when none exist. */
  readonly status: 'running' | 'degraded' | 'missing';
  readonly services: readonly { readonly name: string; readonly replicas: string }[];
}

/** Parses listScript's output. Pure, for tests. */
export function parseDeployed(stdout: string): DeployedApp[] {
  const records: ReleaseRecord[] = [];
  const replicas = new Map<string, string>();
  let inServices = false;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('@@release ')) {
      try {
        records.push(JSON.parse(line.slice('@@release '.length)) as ReleaseRecord);
      } catch {
        // A record cut short (disk full while writing): skipped rather than failing the whole list.
      }
    } else if (line === '@@services') {
      inServices = true;
    } else if (inServices && line.trim()) {
      const [name, reps] = line.trim().split(/\s+/);
      if (name && reps) replicas.set(name, reps);
    }
  }
  return records
    .sort((a, b) => (a.stack < b.stack ? -1 : a.stack > b.stack ? 1 : 0))
    .map((record) => {
      const services = record.services.map((name) => ({ name, replicas: replicas.get(name) ?? 'missing' }));
      const present = services.filter((s) => s.replicas !== 'missing');
      const full = present.filter((s) => {
        const [run, want] = s.replicas.split(' ')[0]?.split('/') ?? [];
        return run !== undefined && run === want;
      });
      const status = present.length === 0 ? 'missing' : full.length === services.length ? 'running' : 'degraded';
      return { record, status, services };
    });
}

export async function listDeployed(runner: RemoteShell): Promise<DeployedApp[]> {
  const r = await runner.must(listScript(), 'listing the deployed apps', { timeoutMs: 60_000 });
  return parseDeployed(r.stdout);
}
