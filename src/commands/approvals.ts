import type { ApprovalView } from '../safety/index.js';
import { parseCommand, stringOption } from './args.js';
import { parseSpan } from './durations.js';
import { formatTime, oneLine, table } from './format.js';
import { UsageError } from './io.js';
import type { CliContext } from './table.js';

export const APPROVALS_USAGE = 'deckhand approvals [--all]';
export const APPROVE_USAGE = 'deckhand approve ID [--for 30m] [--pattern P]';
export const DENY_USAGE = 'deckhand deny ID';

/** Requests waiting for a person (with --all: recent ones whatever became of them). */
export async function approvalsList(args: string[], { safety, io }: CliContext): Promise<number> {
  const { values } = parseCommand(args, { all: { type: 'boolean' } }, APPROVALS_USAGE, 0);
  const list = values.all ? await safety.approvals.list({ all: true, limit: 50 }) : await safety.pending();
  if (list.length === 0) {
    await io.print(values.all ? 'No approval requests.\n' : 'Nothing waits for approval.\n');
    return 0;
  }
  const rows = list.map((a) => [
    a.id,
    a.status,
    formatTime(a.requested_at),
    formatTime(a.expires_at),
    oneLine(a.requested_by, 40),
    oneLine(a.what, 80),
  ]);
  await io.print(table(['ID', 'STATUS', 'ASKED', 'EXPIRES', 'ASKED BY', 'WHAT'], rows));
  return 0;
}

/** A person approves: the call may run once; `--for` also lets the same steps through for that long (a grant). */
export async function approve(args: string[], { safety, io, person }: CliContext): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    { for: { type: 'string' }, pattern: { type: 'string' } },
    APPROVE_USAGE,
    1,
  );
  const id = idArgument(positionals, APPROVE_USAGE);
  const forMs = values.for === undefined ? undefined : parseSpan(String(values.for), 'for', APPROVE_USAGE);
  if (forMs !== undefined && (forMs < 60_000 || forMs % 60_000 !== 0))
    throw new UsageError('--for is counted in whole minutes, at least 1m (e.g. 30m, 2h).', APPROVE_USAGE);
  const pattern = stringOption(values, 'pattern');
  if (pattern !== undefined && forMs === undefined)
    throw new UsageError('--pattern goes with --for: it is what the grant lets through for that long.', APPROVE_USAGE);
  const before = await safety.approval(id);
  await io.print(describe(before));
  const { approval, grants } = await safety.approve(id, { by: person, minutes: forMs && forMs / 60_000, pattern });
  await io.print(
    `Approved ${approval.id}: the assistant may now make the same call again, before ${formatTime(approval.expires_at)}.\n`,
  );
  for (const g of grants)
    await io.print(
      `Granted on ${g.server} until ${formatTime(new Date(g.expires_at).toISOString())}: ${g.pattern} (${g.id})\n`,
    );
  return 0;
}

export async function deny(args: string[], { safety, io, person }: CliContext): Promise<number> {
  const { positionals } = parseCommand(args, {}, DENY_USAGE, 1);
  const id = idArgument(positionals, DENY_USAGE);
  const denied = await safety.deny(id, person);
  await io.print(
    `Denied ${denied.id}: ${oneLine(denied.what, 200)}\nThe same call stays refused until ${formatTime(denied.expires_at)}.\n`,
  );
  return 0;
}

function idArgument(positionals: string[], usage: string): string {
  const id = positionals[0];
  if (id === undefined)
    throw new UsageError('Missing the approval id (apr_…); `deckhand approvals` lists them.', usage);
  return id;
}

function describe(a: ApprovalView): string {
  const lines = a.items.map(
    (i) =>
      `  ${oneLine(i.text, 300)}${i.server ? `   on ${i.server}` : ''}\n    ${oneLine(i.why || i.class, 300)} (${i.class})\n`,
  );
  return `${a.id}, asked by ${oneLine(a.requested_by, 80)} at ${formatTime(a.requested_at)}: ${a.tool}\n${lines.join('')}`;
}
