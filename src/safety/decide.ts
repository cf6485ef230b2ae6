import { DeckhandError } from '../errors.js';
import type { GrantRecord } from '../jobs/store/contract.js';
import {
  serverPolicySchema,
  type ActionClass,
  type ApprovalItem,
  type Decision,
  type Grant,
  type PolicyEngine,
  type ServerPolicy,
} from '../policy/index.js';
import { worstClass } from '../policy/index.js';
import type { ServerRecord } from '../servers/index.js';
import type { Caller, Target } from './types.js';

/** The decision over every target of a call: the strictest wins (one denied server refuses the whole call). */
export interface CallVerdict {
  readonly decision: Decision;
  readonly class: ActionClass;
  readonly reasons: readonly string[];
  /** What a person approves, per server. */
  readonly items: readonly (ApprovalItem & { readonly server: string | null })[];
  readonly grantsUsed: readonly string[];
}

const RANK: Readonly<Record<Decision, number>> = { allow: 0, ask: 1, deny: 2 };

/** A server that is on no inventory (create-server, delete-server of an unregistered one) has the default policy. */
const NO_SERVER = { name: '(no server)', labels: {}, policy: undefined };

/**
 * Decides a call against each target server's policy and the caller's token policy, with the grants in force.
 * A stored policy that no longer validates (a hand edit of inventory.json) refuses the call: failing closed.
 */
export function decideCall(o: {
  readonly engine: PolicyEngine;
  readonly targets: readonly Target[];
  readonly servers: ReadonlyMap<string, ServerRecord | undefined>;
  readonly caller: Caller;
  readonly grants: readonly GrantRecord[];
  readonly now: Date;
}): CallVerdict {
  const grants = o.grants.map(toGrant);
  const caller = o.caller.token?.policy
    ? { label: `token ${o.caller.token.name}`, policy: o.caller.token.policy }
    : undefined;
  let decision: Decision = 'allow';
  const classes: ActionClass[] = [];
  const reasons: string[] = [];
  const items: (ApprovalItem & { server: string | null })[] = [];
  const grantsUsed = new Set<string>();
  for (const t of o.targets) {
    const record = t.server === null ? undefined : o.servers.get(t.server);
    const server = record
      ? { name: record.name, labels: record.labels, policy: checkedPolicy(record) }
      : { ...NO_SERVER, name: t.server ?? NO_SERVER.name };
    const v = o.engine.decide({ server, caller, action: t.action, grants, now: o.now });
    if (RANK[v.decision] > RANK[decision]) decision = v.decision;
    classes.push(v.class);
    // A call on no server meets no server policy: only the caller's token can refuse it.
    reasons.push(
      ...(record || t.server !== null ? v.reasons : v.reasons.filter((r) => !r.startsWith(`server ${NO_SERVER.name}`))),
    );
    if (!record && t.server === null && !caller) reasons.push(`no server policy applies to ${describeAction(t)}`);
    items.push(...v.approval.map((a) => ({ ...a, server: t.server })));
    v.grantsUsed.forEach((g) => grantsUsed.add(g));
  }
  return {
    decision,
    class: worstClass(classes),
    reasons,
    items: decision === 'ask' ? items : [],
    grantsUsed: [...grantsUsed],
  };
}

function describeAction(t: Target): string {
  return t.action.kind === 'tool' ? [t.action.tool, ...(t.action.words ?? [])].join(' ') : t.action.kind;
}

function checkedPolicy(record: ServerRecord): ServerPolicy | undefined {
  if (record.policy === undefined) return undefined;
  const parsed = serverPolicySchema.safeParse(record.policy);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new DeckhandError(
    'policy_invalid',
    `The policy stored for server "${record.name}" is not valid (${issue?.path.join('.') || 'policy'}: ${issue?.message}), so nothing runs there.`,
    {
      hint: `A person fixes it with \`deckhand servers policy ${record.name} …\` (or by editing it back in the inventory).`,
    },
  );
}

function toGrant(g: GrantRecord): Grant {
  return {
    id: g.id,
    server: g.server,
    pattern: g.pattern,
    granted_by: g.granted_by,
    granted_at: new Date(g.granted_at).toISOString(),
    expires_at: new Date(g.expires_at).toISOString(),
  };
}
