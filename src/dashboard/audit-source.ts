import type { AuditLog } from '../audit/index.js';
import type { AuditSource, AuditVerification } from './sources.js';

/** How long a verification is shown before a page load walks the chain again. */
const VERIFY_KEPT_MS = 60_000;

/**
 * The audit log as the audit page reads it: newest entries first, paged by seq (seqs have no gaps after the kept
 * chain's start), and the whole chain's verification. Verifying walks every kept entry, so its result is kept a
 * minute (one walk at a time) instead of paid on every page load; "Verify now" walks it at once.
 */
export function auditSource(audit: AuditLog, now: () => number = Date.now): AuditSource {
  let last: AuditVerification | undefined;
  let running: Promise<AuditVerification> | undefined;
  const walk = async (): Promise<AuditVerification> => {
    const started = now();
    const result = await audit.verify();
    return {
      ok: result.ok,
      count: result.count,
      head_seq: result.ok ? result.head.seq : (result.problem.seq ?? 0),
      ...(result.ok ? {} : { problem: result.problem.message }),
      checked_at: new Date(now()).toISOString(),
      took_ms: now() - started,
    };
  };
  return {
    async recent({ before, limit }) {
      const head = (await audit.head()).seq;
      const top = Math.min(before !== undefined ? before - 1 : head, head);
      if (top <= 0) return { entries: [], older: null };
      const after = Math.max(0, top - limit);
      const page = await audit.read({ after, limit: top - after });
      const entries = page.entries.filter((e) => e.seq <= top).reverse();
      const oldest = entries.at(-1)?.seq;
      // Older entries exist unless this page reached the start of what is kept (seq 1, or where retention cut).
      return { entries, older: after > 0 && oldest === after + 1 ? oldest : null };
    },
    async verify({ fresh }) {
      if (!fresh && last && now() - Date.parse(last.checked_at) < VERIFY_KEPT_MS) return last;
      running ??= walk().finally(() => (running = undefined));
      last = await running;
      return last;
    },
    login: (e) => audit.login(e),
  };
}
