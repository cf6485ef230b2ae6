import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditEntry, ChainHead } from '../audit/index.js';
import { intOption, parseCommand, stringOption } from './args.js';
import { parseSince } from './durations.js';
import { formatTime, oneLine } from './format.js';
import { UsageError } from './io.js';
import type { CliContext } from './table.js';

export const AUDIT_VERIFY_USAGE = 'deckhand audit verify [--anchor SEQ:HASH]';
export const AUDIT_TAIL_USAGE = 'deckhand audit tail [-f] [--server NAME] [--since 2h|DATE] [-n N]';
export const AUDIT_EXPORT_USAGE = 'deckhand audit export [--server NAME] [--since 2h|DATE]';

/**
 * Walks the whole kept chain. Exit 0 with the head to keep somewhere else (and give back as --anchor later, which
 * also catches a rewrite of every hash); exit 1 naming the first entry that was edited, removed or moved.
 */
export async function auditVerify(args: string[], { audit, io }: CliContext): Promise<number> {
  const { values } = parseCommand(args, { anchor: { type: 'string' } }, AUDIT_VERIFY_USAGE, 0);
  const anchor = values.anchor === undefined ? undefined : parseAnchor(String(values.anchor));
  const result = await audit.verify(anchor);
  if (!result.ok) {
    io.warn(`deckhand: the audit log does not verify: ${result.problem.message}.`);
    io.warn(
      `(${result.count} entries checked before it${result.problem.seq !== null ? `; entry ${result.problem.seq}` : ''})`,
    );
    return 1;
  }
  await io.print(
    `ok: ${result.count} entries verify${anchor ? `, including the anchor ${anchor.seq}` : ''}.\n` +
      `head ${result.head.seq}:${result.head.hash}\n`,
  );
  return 0;
}

/** The last entries, oldest first; -f keeps printing new ones as any instance appends them. */
export async function auditTail(args: string[], ctx: CliContext, opts: { pollMs?: number } = {}): Promise<number> {
  const { values } = parseCommand(
    args,
    {
      follow: { type: 'boolean', short: 'f' },
      server: { type: 'string' },
      since: { type: 'string' },
      lines: { type: 'string', short: 'n' },
    },
    AUDIT_TAIL_USAGE,
    0,
  );
  const server = stringOption(values, 'server');
  const since = values.since === undefined ? undefined : parseSince(String(values.since), AUDIT_TAIL_USAGE);
  const n = intOption(values, 'lines', 1, 100_000, AUDIT_TAIL_USAGE) ?? 20;
  const filter = { ...(server ? { server } : {}), ...(since ? { since } : {}) };
  // The last n: read forward from a point near the end, keeping the last n that match.
  const head = await ctx.audit.head();
  let after = since ? 0 : Math.max(0, head.seq - n * 20);
  let last: AuditEntry[] = [];
  for (;;) {
    const page = await ctx.audit.read({ ...filter, after, limit: 1000 });
    last = [...last, ...page.entries].slice(-n);
    if (page.entries.length === 0) break;
    after = page.next;
  }
  for (const e of last) await ctx.io.print(entryLine(e));
  if (!values.follow) return 0;
  after = Math.max(after, head.seq);
  while (!ctx.io.closed) {
    const page = await ctx.audit.read({ ...filter, after, limit: 1000 });
    for (const e of page.entries) await ctx.io.print(entryLine(e));
    after = page.next;
    if (page.entries.length === 0) await sleep(opts.pollMs ?? 500);
  }
  return 0;
}

/** Every kept entry as one JSON line, hashes included: another machine can verify the export on its own. */
export async function auditExport(args: string[], { audit, io }: CliContext): Promise<number> {
  const { values } = parseCommand(
    args,
    { server: { type: 'string' }, since: { type: 'string' } },
    AUDIT_EXPORT_USAGE,
    0,
  );
  const server = stringOption(values, 'server');
  const since = values.since === undefined ? undefined : parseSince(String(values.since), AUDIT_EXPORT_USAGE);
  let after = 0;
  while (!io.closed) {
    const page = await audit.read({ after, limit: 1000, ...(server ? { server } : {}), ...(since ? { since } : {}) });
    if (page.entries.length === 0) break;
    await io.print(page.entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    after = page.next;
  }
  return 0;
}

/** One line per entry, for people: seq, time, event, who, where, what, decision, job, outcome. */
export function entryLine(e: AuditEntry): string {
  const who =
    e.who?.person ??
    [e.who?.client ? `${e.who.client.name} ${e.who.client.version}` : '', e.who?.token ? `token ${e.who.token}` : '']
      .filter(Boolean)
      .join(', ');
  const what = e.command ?? (e.args && typeof e.args === 'object' ? JSON.stringify(e.args) : '');
  const parts = [
    `#${e.seq}`,
    formatTime(e.at),
    e.event,
    who || e.who?.instance || '-',
    e.server ?? '-',
    e.tool ?? '-',
    e.decision ? `${e.decision}${e.class ? `(${e.class})` : ''}` : '',
    e.job_id ?? '',
    e.approval_id ?? '',
    what ? oneLine(what, 120) : '',
    e.outcome ? `→ ${oneLine(e.outcome, 160)}` : '',
  ];
  return `${parts.filter((p) => p !== '').join('  ')}\n`;
}

function parseAnchor(raw: string): ChainHead {
  const m = /^(\d+):([0-9a-f]{64})$/.exec(raw.trim());
  if (!m)
    throw new UsageError(
      `--anchor must be SEQ:HASH as "deckhand audit verify" printed it; got "${oneLine(raw, 80)}".`,
      AUDIT_VERIFY_USAGE,
    );
  return { seq: Number(m[1]), hash: m[2]! };
}
