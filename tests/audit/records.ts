import type { AuditRecord } from '../../src/audit/index.js';

/** A plausible record for entry n, at a time n minutes after `base`. */
export function record(
  n: number,
  over: Partial<AuditRecord> = {},
  base = Date.parse('2026-01-01T00:00:00Z'),
): AuditRecord {
  return {
    at: new Date(base + n * 60_000).toISOString(),
    event: 'tool-call',
    who: { instance: 'inst-a', client: { name: 'claude-code', version: '2.1.0' }, token: 'ops' },
    tool: 'remote-bash',
    args: { server: n % 2 ? 'web-1' : 'db-1', command: `echo ${n}`, timeout_s: 20 },
    command: `echo ${n}`,
    server: n % 2 ? 'web-1' : 'db-1',
    decision: 'allow',
    class: 'read-only',
    job_id: `job-${n}`,
    ...over,
  };
}
