import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import { canonicalJson, maskCommand } from '../audit/index.js';
import { DeckhandError } from '../errors.js';
import type { ApprovalRecord, GrantRecord, SafetyStore } from '../jobs/store/contract.js';
import { compilePattern, makeGrant, MAX_GRANT_MINUTES } from '../policy/index.js';
import type { CallVerdict } from './decide.js';
import type { AdmitRequest, ApprovalState, ApprovalView, Caller } from './types.js';

const ID_RE = /^apr_[0-9A-HJKMNP-TV-Z]{26}$/;

/** What an approval request keeps about the call (ApprovalRecord.request). */
interface StoredRequest {
  readonly tool: string;
  readonly servers: readonly string[];
  readonly what: string;
  readonly items: ApprovalView['items'];
  readonly reasons: readonly string[];
}

export function isApprovalId(s: string): boolean {
  return ID_RE.test(s);
}

/** "claude-code 2.1.0 (token ops, http)": the caller as a person reads it. */
export function describeCaller(c: Caller): string {
  if (c.person) return `${c.person} (${c.token ? `token ${c.token.name}, ` : ''}${c.via})`;
  const client = c.client ? `${c.client.name} ${c.client.version}` : 'an MCP client';
  return `${client} (${c.token ? `token ${c.token.name}, ` : ''}${c.via})`;
}

/**
 * Approval requests and the grants a person makes with them, over the shared SafetyStore. A request waits
 * `ttlMs` for a person; once approved, the assistant has `ttlMs` to make the same call again, which then runs once.
 */
export class ApprovalBook {
  constructor(private readonly o: { readonly store: SafetyStore; readonly ttlMs: number; readonly now: () => Date }) {}

  /** What identifies "the same call": the tool, its targets, what it acts on and who asks (the token). */
  fingerprint(req: AdmitRequest): string {
    const material = {
      tool: req.tool,
      servers: req.targets.map((t) => t.server),
      key: req.key ?? req.args ?? null,
      token: req.caller.token?.name ?? null,
    };
    return createHash('sha256')
      .update(canonicalJson(JSON.parse(JSON.stringify(material))))
      .digest('hex');
  }

  find(fingerprint: string): Promise<ApprovalRecord | undefined> {
    return this.o.store.findApproval(fingerprint, this.o.now().getTime());
  }

  async request(req: AdmitRequest, verdict: CallVerdict, fingerprint: string): Promise<ApprovalRecord> {
    const now = this.o.now().getTime();
    const servers = [...new Set(req.targets.map((t) => t.server).filter((s): s is string => s !== null))];
    // Kept and shown to people: secret-looking values masked as in the audit log. A part whose exact pattern holds
    // one offers no grant (a person can still approve it once, or grant a pattern of their own).
    const mask = (s: string) => maskCommand(s, req.secrets ? { secrets: req.secrets } : {});
    const items = verdict.items.map((i) => ({
      ...i,
      text: mask(i.text),
      why: mask(i.why),
      pattern: i.pattern !== null && mask(i.pattern) === i.pattern ? i.pattern : null,
    }));
    const stored: StoredRequest = {
      tool: req.tool,
      servers,
      what: `${req.tool} on ${servers.length ? servers.join(', ') : 'no server'}: ${items.map((i) => i.text).join('; ')}`,
      items,
      reasons: verdict.reasons.map(mask),
    };
    return this.o.store.createApproval({
      id: `apr_${ulid(now)}`,
      fingerprint,
      request: JSON.parse(JSON.stringify(stored)) as Record<string, unknown>,
      requested_by: describeCaller(req.caller),
      requested_at: now,
      expires_at: now + this.o.ttlMs,
    });
  }

  async get(id: string): Promise<ApprovalRecord> {
    if (!isApprovalId(id))
      throw new DeckhandError('unknown_approval', `"${id.slice(0, 60)}" is not an approval id.`, {
        hint: 'Approval ids look like apr_01JD3Q8X5K2M7N4P6R8S0T2V4W; `deckhand approvals` lists the pending ones.',
      });
    const found = await this.o.store.getApproval(id);
    if (!found)
      throw new DeckhandError('unknown_approval', `No approval request ${id}.`, {
        hint: 'It may have expired and been cleaned up; `deckhand approvals` lists the pending ones.',
      });
    return found;
  }

  /**
   * A person approves: the call may run once, made again within the TTL. With `minutes`, each part also gets a grant
   * for that long (its own exact pattern, or `pattern` when the request has a single part), so the steps after it
   * do not ask again.
   */
  async approve(
    id: string,
    o: { readonly by: string; readonly minutes?: number | undefined; readonly pattern?: string | undefined },
  ): Promise<{ approval: ApprovalRecord; grants: GrantRecord[] }> {
    const current = await this.get(id);
    const now = this.o.now();
    const grants = o.minutes ? this.grantsFor(current, o.minutes, o.pattern, o.by, now) : [];
    const decided = await this.o.store.decideApproval(id, {
      status: 'approved',
      by: o.by,
      now: now.getTime(),
      expires_at: now.getTime() + this.o.ttlMs,
      grants,
    });
    this.checkTook(decided ?? current, o.by, now);
    return { approval: decided!, grants };
  }

  async deny(id: string, by: string): Promise<ApprovalRecord> {
    const current = await this.get(id);
    const now = this.o.now();
    const decided = await this.o.store.decideApproval(id, {
      status: 'denied',
      by,
      now: now.getTime(),
      expires_at: current.expires_at,
      grants: [],
    });
    this.checkTook(decided ?? current, by, now);
    return decided!;
  }

  /** Uses an approved request for the call being made: true for exactly one caller. */
  use(id: string): Promise<boolean> {
    return this.o.store.useApproval(id, this.o.now().getTime());
  }

  async list(filter: { readonly all?: boolean; readonly limit?: number } = {}): Promise<ApprovalView[]> {
    const rows = await this.o.store.listApprovals({
      ...(filter.all ? {} : { live: this.o.now().getTime() }),
      limit: filter.limit ?? 100,
    });
    return rows.map((r) => this.view(r));
  }

  view(r: ApprovalRecord): ApprovalView {
    const req = r.request as unknown as StoredRequest;
    const state: ApprovalState =
      r.status === 'used' || r.status === 'denied' || r.expires_at > this.o.now().getTime() ? r.status : 'expired';
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      id: r.id,
      status: state,
      tool: req.tool,
      servers: req.servers ?? [],
      what: req.what,
      items: req.items ?? [],
      reasons: req.reasons ?? [],
      requested_by: r.requested_by,
      requested_at: iso(r.requested_at)!,
      expires_at: iso(r.expires_at)!,
      decided_by: r.decided_by,
      decided_at: iso(r.decided_at),
      approve_with: `deckhand approve ${r.id}`,
    };
  }

  private grantsFor(
    a: ApprovalRecord,
    minutes: number,
    pattern: string | undefined,
    by: string,
    now: Date,
  ): GrantRecord[] {
    const items = (a.request as unknown as StoredRequest).items ?? [];
    const grantable = items.filter((i) => i.server !== null && (pattern !== undefined || i.pattern !== null));
    if (pattern !== undefined && items.length !== 1)
      throw new DeckhandError(
        'invalid_argument',
        `A pattern can be given only for a request with one part; ${a.id} has ${items.length}.`,
        {
          hint: 'Approve without --pattern: each part gets a grant for its own exact words.',
        },
      );
    if (pattern !== undefined) compilePattern(pattern);
    if (grantable.length === 0)
      throw new DeckhandError(
        'invalid_argument',
        `Nothing in ${a.id} can be granted for a while: deckhand could not read the command into words.`,
        {
          hint: `Approve it without --for (it runs once), or add a pattern to the server's allow list (max ${MAX_GRANT_MINUTES} minutes for a grant).`,
        },
      );
    return grantable.map((i) => {
      const g = makeGrant({
        id: `grant_${ulid(now.getTime())}`,
        server: i.server!,
        pattern: pattern ?? i.pattern!,
        grantedBy: by,
        minutes,
        now,
      });
      return {
        id: g.id,
        server: g.server,
        pattern: g.pattern,
        granted_by: g.granted_by,
        granted_at: now.getTime(),
        expires_at: Date.parse(g.expires_at),
        approval_id: a.id,
        revoked_at: null,
      };
    });
  }

  /** Says why a decision did not take: decided already, or too late. */
  private checkTook(after: ApprovalRecord, by: string, now: Date): void {
    if (after.decided_by === by && after.decided_at === now.getTime()) return;
    if (after.status !== 'pending')
      throw new DeckhandError(
        'approval_decided',
        `${after.id} was already ${after.status === 'used' ? 'approved and used' : after.status} by ${after.decided_by ?? 'someone'}.`,
        { hint: 'Nothing changed. The assistant makes the call again if it still needs it; it then asks anew.' },
      );
    throw new DeckhandError('approval_expired', `${after.id} expired at ${new Date(after.expires_at).toISOString()}.`, {
      hint: 'Nothing changed. Ask the assistant to make the call again: it gets a new approval id.',
    });
  }
}
