import type { AuditEntry, AuditInput, AuditLog } from '../audit/index.js';
import { DeckhandError, errorMessage } from '../errors.js';
import { newJobId } from '../jobs/types.js';
import type { ApprovalRecord, GrantRecord, SafetyStore } from '../jobs/store/contract.js';
import type { PolicyEngine } from '../policy/index.js';
import type { Inventory, ServerRecord } from '../servers/index.js';
import { approvalQuestion, readAnswer } from './ask.js';
import { ApprovalBook, describeCaller } from './approvals.js';
import { decideCall, type CallVerdict } from './decide.js';
import { approvalRefusal, deniedRefusal, pendingRefusal } from './refusals.js';
import type { AdmitRequest, Admission, Admitted, ApprovalView } from './types.js';

export interface SafetyServiceOptions {
  /** Loads the policy engine (the bash grammar) on first use and keeps it. */
  readonly engine: () => Promise<PolicyEngine>;
  readonly store: SafetyStore;
  readonly inventory: Inventory;
  readonly audit: AuditLog;
  readonly approvalTtlMs: number;
  readonly now?: () => Date;
  readonly onError: (err: unknown, context: string) => void;
}

/**
 * Safe hands: every call that changes something is admitted here before it acts. The server's policy and the
 * caller's token policy decide (allow, ask, deny); "ask" gets a person's approval through the client (elicitation)
 * or, failing that, refuses with an approval id a person approves with `deckhand approve`. Every step lands in the
 * audit log, and the call itself is recorded before it runs, so an audit store that cannot write stops it.
 */
export class SafetyService {
  readonly approvals: ApprovalBook;
  private readonly now: () => Date;

  constructor(private readonly o: SafetyServiceOptions) {
    this.now = o.now ?? (() => new Date());
    this.approvals = new ApprovalBook({ store: o.store, ttlMs: o.approvalTtlMs, now: this.now });
  }

  async admit(req: AdmitRequest): Promise<Admission> {
    const now = this.now();
    const servers = await this.serversOf(req);
    const grants = await this.grantsFor([...servers.keys()], now);
    const verdict = decideCall({
      engine: await this.o.engine(),
      targets: req.targets,
      servers,
      caller: req.caller,
      grants,
      now,
    });
    const base = this.entryBase(req, verdict);
    if (verdict.decision === 'deny') {
      await this.o.audit.append({ ...base, event: 'refusal', outcome: 'refused by policy' });
      return { ok: false, refusal: deniedRefusal(req, verdict) };
    }
    if (verdict.decision === 'allow') {
      // The call a person approved with a grant is the grant's first use: its approval is spent with it, so that
      // revoking the grant leaves nothing behind that would let the call through once more.
      const spent = new Set(grants.filter((g) => verdict.grantsUsed.includes(g.id)).map((g) => g.approval_id));
      for (const id of spent) if (id) await this.approvals.use(id);
      return this.admitted(req, verdict, { personApproved: false });
    }

    const fingerprint = this.approvals.fingerprint(req);
    const existing = await this.approvals.find(fingerprint);
    if (existing?.status === 'approved' && (await this.approvals.use(existing.id)))
      return this.admitted(req, verdict, { personApproved: true, approval: existing });
    if (existing?.status === 'denied') {
      await this.o.audit.append({ ...base, event: 'refusal', approval_id: existing.id, outcome: 'denied by a person' });
      return { ok: false, refusal: approvalRefusal('approval_denied', this.approvals.view(existing)) };
    }
    let approval = existing?.status === 'pending' ? existing : undefined;
    if (!approval) {
      approval = await this.approvals.request(req, verdict, fingerprint);
      await this.o.audit.append({ ...base, event: 'approval-requested', approval_id: approval.id, outcome: 'pending' });
    }
    if (!req.asker) {
      if (existing)
        await this.o.audit.append({ ...base, event: 'refusal', approval_id: approval.id, outcome: 'pending approval' });
      return { ok: false, refusal: pendingRefusal(this.approvals.view(approval), this.o.approvalTtlMs) };
    }
    return this.askPerson(req, verdict, approval);
  }

  /** Approval requests a person can still decide (CLI, dashboard), newest first. */
  pending(): Promise<ApprovalView[]> {
    return this.approvals.list().then((l) => l.filter((a) => a.status === 'pending'));
  }

  async approval(id: string): Promise<ApprovalView> {
    return this.approvals.view(await this.approvals.get(id));
  }

  /** A person approves (CLI, dashboard): optionally with a grant of N minutes for the same parts. */
  async approve(
    id: string,
    o: { readonly by: string; readonly minutes?: number | undefined; readonly pattern?: string | undefined },
  ): Promise<{ approval: ApprovalView; grants: GrantRecord[] }> {
    const { approval, grants } = await this.approvals.approve(id, o);
    await this.recordGranted(approval, grants, o.by);
    return { approval: this.approvals.view(approval), grants };
  }

  async deny(id: string, by: string): Promise<ApprovalView> {
    const denied = await this.approvals.deny(id, by);
    await this.o.audit.append(this.decisionEntry(denied, 'approval-denied', by));
    return this.approvals.view(denied);
  }

  /** Grants in force, for one server or all. */
  grants(server?: string): Promise<GrantRecord[]> {
    return this.o.store.activeGrants(this.now().getTime(), server);
  }

  async revokeGrant(id: string, by: string): Promise<GrantRecord> {
    const g = await this.o.store.revokeGrant(id, this.now().getTime());
    if (!g)
      throw new DeckhandError('unknown_grant', `No grant ${id} is in force.`, {
        hint: '`deckhand grants` lists the grants in force.',
      });
    await this.o.audit.append({
      event: 'grant-revoked',
      who: { person: by },
      server: g.server,
      command: g.pattern,
      grant_id: g.id,
    });
    return g;
  }

  private async askPerson(req: AdmitRequest, verdict: CallVerdict, approval: ApprovalRecord): Promise<Admission> {
    const view = this.approvals.view(approval);
    // A person acting for themselves (the dashboard) approves as themselves; an assistant's client asks its user.
    const person = req.caller.person ?? `the person using ${describeCaller(req.caller)}`;
    let answer;
    try {
      answer = readAnswer(
        await req.asker!.ask(approvalQuestion(view, approval), {
          timeoutMs: Math.max(1000, approval.expires_at - this.now().getTime()),
          ...(req.signal ? { signal: req.signal } : {}),
        }),
      );
    } catch (err) {
      // The client could not ask (it failed, timed out, or the call was cancelled): the request stays for the CLI.
      await this.o.audit.append({
        ...this.entryBase(req, verdict),
        event: 'refusal',
        approval_id: approval.id,
        outcome: `could not ask: ${errorMessage(err)}`,
      });
      return { ok: false, refusal: pendingRefusal(view, this.o.approvalTtlMs, errorMessage(err)) };
    }
    if (!answer.approved) {
      const denied = await this.approvals.deny(approval.id, person).catch(() => approval);
      await this.o.audit.append(this.decisionEntry(denied, 'approval-denied', person, answer.how));
      return { ok: false, refusal: approvalRefusal('approval_declined', this.approvals.view(denied), answer.how) };
    }
    let granted: { approval: ApprovalRecord; grants: GrantRecord[] };
    let note: string | undefined;
    try {
      granted = await this.approvals.approve(approval.id, {
        by: person,
        minutes: answer.minutes,
        pattern: answer.pattern,
      });
    } catch (err) {
      if (!(err instanceof DeckhandError) || err.code !== 'invalid_argument') throw err;
      // A pattern the person typed that does not compile: this call still runs, without the grant.
      note = `no grant made: ${errorMessage(err)}`;
      granted = await this.approvals.approve(approval.id, { by: person });
    }
    await this.recordGranted(granted.approval, granted.grants, person);
    if (!(await this.approvals.use(approval.id)))
      throw new DeckhandError('approval_decided', `${approval.id} was used by another call at the same moment.`, {
        hint: 'Make the call again: it asks anew.',
      });
    return this.admitted(req, verdict, { personApproved: true, approval: granted.approval, note });
  }

  private async admitted(
    req: AdmitRequest,
    verdict: CallVerdict,
    o: { personApproved: boolean; approval?: ApprovalRecord; note?: string | undefined },
  ): Promise<Admitted> {
    const reasons = [
      ...verdict.reasons,
      ...(o.approval ? [`approved by ${o.approval.decided_by ?? 'a person'} (${o.approval.id})`] : []),
      ...(o.note ? [o.note] : []),
    ];
    const jobId = req.startsJob ? newJobId(this.now().getTime()) : undefined;
    const entry = await this.o.audit.append({
      ...this.entryBase(req, verdict),
      event: 'tool-call',
      decision: 'allow',
      reasons,
      approval_id: o.approval?.id,
      grant_id: verdict.grantsUsed[0],
      job_id: jobId,
    });
    const record = (text: string) => this.recordOutcome(req, entry, jobId, text);
    return {
      ok: true,
      personApproved: o.personApproved,
      jobId,
      reasons,
      async run(act) {
        let result;
        try {
          result = await act();
        } catch (err) {
          const why = `${err instanceof DeckhandError ? `${err.code}: ` : ''}${errorMessage(err)}`;
          await record(`${jobId ? 'not started' : 'failed'}: ${why}`);
          throw err;
        }
        if (!jobId) await record('succeeded');
        return result;
      },
      finish: record,
    };
  }

  /** An outcome that is not a job's end: never fails the call (what it records has happened already). */
  private async recordOutcome(req: AdmitRequest, entry: AuditEntry, jobId: string | undefined, text: string) {
    const input: AuditInput = { event: 'outcome', tool: req.tool, server: entry.server, ref: entry.seq, outcome: text };
    await (jobId ? this.o.audit.appendOutcome({ ...input, job_id: jobId }) : this.o.audit.append(input)).catch(
      (err: unknown) => this.o.onError(err, 'audit outcome'),
    );
  }

  private entryBase(req: AdmitRequest, verdict: CallVerdict): AuditInput {
    const servers = [...new Set(req.targets.map((t) => t.server).filter((s): s is string => s !== null))];
    return {
      event: 'tool-call',
      who: { client: req.caller.client, token: req.caller.token?.name, person: req.caller.person },
      tool: req.tool,
      args: req.args,
      secrets: req.secrets,
      command: req.command,
      server: servers.length === 1 ? servers[0] : undefined,
      decision: verdict.decision,
      class: verdict.class,
      reasons: verdict.reasons,
    };
  }

  private async recordGranted(approval: ApprovalRecord, grants: readonly GrantRecord[], by: string): Promise<void> {
    await this.o.audit.append(this.decisionEntry(approval, 'approval-granted', by));
    for (const g of grants)
      await this.o.audit.append({
        event: 'grant-created',
        who: { person: by },
        server: g.server,
        command: g.pattern,
        approval_id: approval.id,
        grant_id: g.id,
        outcome: `until ${new Date(g.expires_at).toISOString()}`,
      });
  }

  private decisionEntry(
    a: ApprovalRecord,
    event: 'approval-granted' | 'approval-denied',
    by: string,
    how?: string,
  ): AuditInput {
    const view = this.approvals.view(a);
    return {
      event,
      who: { person: by },
      tool: view.tool,
      server: view.servers.length === 1 ? view.servers[0] : undefined,
      command: view.items.map((i) => i.text).join('; '),
      decision: event === 'approval-granted' ? 'allow' : 'deny',
      approval_id: a.id,
      ...(how && how !== 'declined' ? { outcome: how } : {}),
    };
  }

  private async serversOf(req: AdmitRequest): Promise<Map<string, ServerRecord | undefined>> {
    const out = new Map<string, ServerRecord | undefined>();
    for (const t of req.targets)
      if (t.server !== null && !out.has(t.server)) out.set(t.server, await this.o.inventory.find(t.server));
    return out;
  }

  private async grantsFor(servers: readonly string[], now: Date): Promise<GrantRecord[]> {
    if (servers.length === 0) return [];
    if (servers.length === 1) return this.o.store.activeGrants(now.getTime(), servers[0]);
    const set = new Set(servers);
    return (await this.o.store.activeGrants(now.getTime())).filter((g) => set.has(g.server));
  }
}
