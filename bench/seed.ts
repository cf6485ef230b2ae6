import BetterSqlite3 from 'better-sqlite3';
import { ulid } from 'ulid';

const STATUSES = ['completed', 'completed', 'completed', 'completed', 'failed', 'cancelled', 'lost'] as const;

/** Fills deckhand.db with finished jobs straight through SQLite (one transaction per 50,000): setup, not measured. */
export function fill(file: string, n: number): string[] {
  const db = new BetterSqlite3(file);
  const ins = db.prepare(
    `insert into jobs (id, type, server, params, status, progress, created_at, started_at, finished_at, attempt,
       exit_code, error, result, timeout_s, cancel_requested_at, runtime, owner_instance, owner_host, owner_pid,
       parent_id, parallel_limit, wave, priority, not_before, unique_key, rev, updated_at)
     values (?, ?, ?, ?, ?, '{}', ?, ?, ?, 1, ?, ?, null, 3600, null, '{}', 'bench', 'h', 1, null, null, null, 1,
       null, null, ?, ?)`,
  );
  const ids: string[] = [];
  const start = Date.now() - n * 1000;
  for (let base = 0; base < n; base += 50_000) {
    db.transaction(() => {
      for (let i = base; i < Math.min(n, base + 50_000); i++) {
        const t = start + i * 1000;
        const id = `job_${ulid(t)}`;
        const status = STATUSES[i % STATUSES.length]!;
        const failed = status === 'failed';
        ins.run(
          id,
          i % 5 === 0 ? 'deploy' : 'remote-bash',
          `srv-${i % 200}`,
          JSON.stringify({ command: `echo job ${i} && uptime`, timeout_s: 3600 }),
          status,
          t,
          t + 10,
          t + 900,
          failed ? 1 : 0,
          failed ? JSON.stringify({ code: 'exit_code', message: 'The command exited with code 1.' }) : null,
          i,
          t + 900,
        );
        if (i % 1000 === 0) ids.push(id);
      }
    })();
  }
  db.close();
  return ids;
}
