import { classRank, type ActionClass } from './classes.js';
import type { ClassifiedPart } from './classify/classify.js';
import { activeGrants, type ActiveGrant, type Grant } from './grants.js';
import { compilePattern, exactPattern, type CompiledPattern } from './patterns.js';
import type { PolicyMode, ServerPolicy } from './schema.js';
import { isProduction, type ClassifiedAction } from './actions.js';

export type Decision = 'allow' | 'ask' | 'deny';

/** A policy with its mode settled and its patterns compiled, and where the mode came from (for explaining it). */
export interface EffectivePolicy {
  readonly mode: PolicyMode;
  readonly modeFrom: 'policy' | 'env=prod default' | 'default';
  readonly deny: readonly CompiledPattern[];
  readonly allow: readonly CompiledPattern[];
}

/** A part that needs a person's approval, with the pattern a grant for exactly it would use. */
export interface ApprovalItem {
  readonly text: string;
  readonly class: ActionClass;
  readonly why: string;
  readonly pattern: string | null;
}

export interface PolicyDecision {
  readonly decision: Decision;
  readonly class: ActionClass;
  readonly mode: PolicyMode;
  /** Why, in words for a person: which part, which rule. */
  readonly reasons: readonly string[];
  /** For `ask`: what the person approves. */
  readonly approval: readonly ApprovalItem[];
  /** Grants that let a part through, so the audit log can name them. */
  readonly grantsUsed: readonly string[];
}

export interface PolicyLayer {
  /** Named in reasons: `server web-1`, `token ci`. */
  readonly label: string;
  readonly policy: EffectivePolicy;
}

/**
 * The mode a server's policy gives, with the default: env=prod servers ask, others are open. Patterns are
 * compiled here; policies reach this point validated by serverPolicySchema, so a bad one throws.
 */
export function effectivePolicy(
  policy: ServerPolicy | undefined,
  labels: Readonly<Record<string, string>>,
): EffectivePolicy {
  const prod = isProduction(labels);
  return {
    mode: policy?.mode ?? (prod ? 'ask' : 'open'),
    modeFrom: policy?.mode ? 'policy' : prod ? 'env=prod default' : 'default',
    deny: (policy?.deny ?? []).map(compilePattern),
    allow: (policy?.allow ?? []).map(compilePattern),
  };
}

const DECISION_RANK: Readonly<Record<Decision, number>> = { allow: 0, ask: 1, deny: 2 };

/**
 * Decides one classified action against one or more policy layers (the server's, then the caller's token's):
 * the strictest layer wins. Pure: the same input gives the same answer.
 */
export function decideClassified(input: {
  readonly action: ClassifiedAction;
  readonly server: string;
  readonly layers: readonly PolicyLayer[];
  readonly grants: readonly Grant[];
  readonly now: Date;
}): PolicyDecision {
  const grants = activeGrants(input.grants, input.server, input.now);
  let worst: PolicyDecision | null = null;
  const reasons: string[] = [];
  for (const layer of input.layers) {
    const d = decideLayer(input.action, layer, grants);
    reasons.push(...d.reasons);
    if (!worst || DECISION_RANK[d.decision] > DECISION_RANK[worst.decision]) worst = d;
  }
  const chosen =
    worst ?? decideLayer(input.action, { label: 'default', policy: effectivePolicy(undefined, {}) }, grants);
  return { ...chosen, reasons: input.layers.length > 1 ? reasons : chosen.reasons };
}

function decideLayer(action: ClassifiedAction, layer: PolicyLayer, grants: readonly ActiveGrant[]): PolicyDecision {
  const { policy, label } = layer;
  const base = { class: action.class, mode: policy.mode, approval: [] as ApprovalItem[], grantsUsed: [] as string[] };
  const modeNote = `${label} is ${policy.mode}${policy.modeFrom === 'policy' ? '' : ` (${policy.modeFrom})`}`;

  const denied = denials(action.parts, policy.deny);
  if (denied.length > 0) return { ...base, decision: 'deny', reasons: denied.map((d) => `${label}: ${d}`) };

  const useGrants = policy.mode === 'ask' ? grants : [];
  const cover = coverage(action.parts, policy.allow, useGrants);
  const open = action.parts.filter((p) => needsCover(p.class, policy.mode) && !cover.get(p.id));
  const covered = action.parts.filter((p) => needsCover(p.class, policy.mode) && cover.get(p.id));
  const grantsUsed = [...new Set(covered.flatMap((p) => grantOf(cover.get(p.id))))];
  const coveredNotes = covered.map((p) => `\`${clip(p.text)}\` ${describeCover(cover.get(p.id)!)}`);

  if (open.length === 0) {
    const why =
      covered.length > 0
        ? `${modeNote}; every part that needs approval is allowed`
        : policy.mode === 'open'
          ? `${modeNote}; everything runs (the action is ${action.class})`
          : `${modeNote}; the action is ${action.class}, which needs no approval`;
    return {
      ...base,
      decision: 'allow',
      grantsUsed,
      reasons: [`${label}: ${why}`, ...coveredNotes.map((n) => `${label}: ${n}`)],
    };
  }
  const lines = open.flatMap((p) => partReasons(p));
  if (policy.mode === 'read-only') {
    return { ...base, decision: 'deny', grantsUsed, reasons: [`${label}: refused, ${modeNote}`, ...lines] };
  }
  const approval = open.map((p): ApprovalItem => ({
    text: p.text,
    class: p.class,
    why: p.reasons
      .filter((r) => r.class !== 'read-only')
      .map((r) => r.why)
      .join('; '),
    pattern: p.readable && p.words.length > 0 ? exactPattern(p.words) : null,
  }));
  return {
    ...base,
    decision: 'ask',
    approval,
    grantsUsed,
    reasons: [`${label}: needs approval, ${modeNote}`, ...lines],
  };
}

/** Parts that must be covered by an allow pattern (or, in ask mode, a grant) before they may run. */
function needsCover(cls: ActionClass, mode: PolicyMode): boolean {
  if (mode === 'open') return false;
  if (mode === 'read-only') return cls !== 'read-only';
  return classRank(cls) >= classRank('destructive');
}

/**
 * Deny patterns look at every part, through every wrapper, nested or not. A part deckhand cannot read cannot be
 * shown not to match, so with any deny pattern in force it is refused too.
 */
function denials(parts: readonly ClassifiedPart[], deny: readonly CompiledPattern[]): string[] {
  if (deny.length === 0) return [];
  const out: string[] = [];
  for (const p of parts) {
    if (!p.readable) {
      out.push(`\`${clip(p.text)}\` cannot be read, so it cannot be checked against the deny patterns`);
      continue;
    }
    const hit = deny.find((pattern) => p.views.some((view) => pattern.matches(view)));
    if (hit) out.push(`\`${clip(p.text)}\` matches the deny pattern \`${hit.source}\``);
  }
  return out;
}

type Cover = { allow: string } | { grant: string; expires: string };

/**
 * Which parts an allow pattern or grant lets through. A pattern matches a part's words as written; a part inside
 * another (`sh -c '…'`, `find -exec`) is also let through when the part holding it is.
 */
function coverage(
  parts: readonly ClassifiedPart[],
  allow: readonly CompiledPattern[],
  grants: readonly ActiveGrant[],
): Map<number, Cover | undefined> {
  const out = new Map<number, Cover | undefined>();
  for (const p of parts) {
    let c: Cover | undefined;
    if (p.readable) {
      const a = allow.find((pattern) => pattern.matches(p.words));
      const g = a ? undefined : grants.find((grant) => grant.pattern.matches(p.words));
      c = a ? { allow: a.source } : g ? { grant: g.grant.id, expires: g.grant.expires_at } : undefined;
    }
    // Parts come in source order, so the part holding this one has been seen already.
    out.set(p.id, c ?? (p.within !== null ? out.get(p.within) : undefined));
  }
  return out;
}

function grantOf(c: Cover | undefined): string[] {
  return c && 'grant' in c ? [c.grant] : [];
}

function describeCover(c: Cover): string {
  return 'allow' in c
    ? `matches the allow pattern \`${c.allow}\``
    : `is covered by grant ${c.grant} until ${c.expires}`;
}

function partReasons(p: ClassifiedPart): string[] {
  return p.reasons.filter((r) => r.class !== 'read-only').map((r) => `\`${clip(p.text)}\`: ${r.why} (${r.class})`);
}

function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > 80 ? `${one.slice(0, 79)}…` : one;
}
