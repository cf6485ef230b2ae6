import type { Selectable } from 'kysely';
import type { Backend } from './backend.js';
import type {
  ApprovalDecision,
  ApprovalRecord,
  ApprovalStatus,
  GrantRecord,
  NewApproval,
  SafetyStore,
} from './contract.js';
import type { ApprovalsTable, GrantsTable } from './schema.js';

/** The contract's SafetyStore on the `approvals` and `grants` tables, for both backends. */
export class SqlSafetyStore implements SafetyStore {
  constructor(private readonly b: Backend) {}

  async createApproval(a: NewApproval): Promise<ApprovalRecord> {
    const record: ApprovalRecord = { ...a, status: 'pending', decided_by: null, decided_at: null, used_at: null };
    await this.b.write((trx) =>
      trx
        .insertInto('approvals')
        .values({ ...record, request: this.b.json.write(record.request) })
        .execute(),
    );
    return record;
  }

  async getApproval(id: string): Promise<ApprovalRecord | undefined> {
    const row = await this.b.read((db) =>
      db.selectFrom('approvals').selectAll().where('id', '=', id).executeTakeFirst(),
    );
    return row && this.approval(row);
  }

  async findApproval(fingerprint: string, now: number): Promise<ApprovalRecord | undefined> {
    const row = await this.b.read((db) =>
      db
        .selectFrom('approvals')
        .selectAll()
        .where('fingerprint', '=', fingerprint)
        .where('expires_at', '>', now)
        .where('status', '!=', 'used')
        .orderBy('requested_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst(),
    );
    return row && this.approval(row);
  }

  decideApproval(id: string, d: ApprovalDecision): Promise<ApprovalRecord | undefined> {
    return this.b.write(async (trx) => {
      const row = await trx
        .selectFrom('approvals')
        .selectAll()
        .where('id', '=', id)
        .$if(this.b.forUpdate, (q) => q.forUpdate())
        .executeTakeFirst();
      if (!row) return undefined;
      if (row.status !== 'pending' || Number(row.expires_at) <= d.now) return this.approval(row);
      await trx
        .updateTable('approvals')
        .set({ status: d.status, decided_by: d.by, decided_at: d.now, expires_at: d.expires_at })
        .where('id', '=', id)
        .execute();
      if (d.status === 'approved' && d.grants.length > 0)
        await trx
          .insertInto('grants')
          .values([...d.grants])
          .execute();
      return this.approval({ ...row, status: d.status, decided_by: d.by, decided_at: d.now, expires_at: d.expires_at });
    });
  }

  async useApproval(id: string, now: number): Promise<boolean> {
    // One conditional statement: of several callers at once, one changes the row.
    const r = await this.b.write((trx) =>
      trx
        .updateTable('approvals')
        .set({ status: 'used', used_at: now })
        .where('id', '=', id)
        .where('status', '=', 'approved')
        .where('expires_at', '>', now)
        .executeTakeFirst(),
    );
    return Number(r.numUpdatedRows) === 1;
  }

  async listApprovals(filter: {
    readonly status?: ApprovalStatus;
    readonly live?: number;
    readonly limit: number;
  }): Promise<ApprovalRecord[]> {
    const rows = await this.b.read((db) =>
      db
        .selectFrom('approvals')
        .selectAll()
        .$if(filter.status !== undefined, (q) => q.where('status', '=', filter.status as ApprovalStatus))
        .$if(filter.live !== undefined, (q) =>
          q.where('expires_at', '>', filter.live as number).where('status', '!=', 'used'),
        )
        .orderBy('requested_at', 'desc')
        .orderBy('id', 'desc')
        .limit(Math.max(1, Math.min(filter.limit, 1000)))
        .execute(),
    );
    return rows.map((r) => this.approval(r));
  }

  async addGrant(grant: GrantRecord): Promise<void> {
    await this.b.write((trx) => trx.insertInto('grants').values(grant).execute());
  }

  async activeGrants(now: number, server?: string): Promise<GrantRecord[]> {
    const rows = await this.b.read((db) =>
      db
        .selectFrom('grants')
        .selectAll()
        .$if(server !== undefined, (q) => q.where('server', '=', server as string))
        .where('expires_at', '>', now)
        .where('granted_at', '<=', now)
        .where('revoked_at', 'is', null)
        .orderBy('granted_at', 'desc')
        .orderBy('id', 'desc')
        .execute(),
    );
    return rows.map(grant);
  }

  revokeGrant(id: string, now: number): Promise<GrantRecord | undefined> {
    return this.b.write(async (trx) => {
      const row = await trx
        .selectFrom('grants')
        .selectAll()
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .$if(this.b.forUpdate, (q) => q.forUpdate())
        .executeTakeFirst();
      if (!row) return undefined;
      await trx.updateTable('grants').set({ revoked_at: now }).where('id', '=', id).execute();
      return grant({ ...row, revoked_at: now });
    });
  }

  prune(before: number): Promise<number> {
    return this.b.write(async (trx) => {
      const a = await trx.deleteFrom('approvals').where('expires_at', '<', before).executeTakeFirst();
      const g = await trx.deleteFrom('grants').where('expires_at', '<', before).executeTakeFirst();
      return Number(a.numDeletedRows) + Number(g.numDeletedRows);
    });
  }

  private approval(row: Selectable<ApprovalsTable>): ApprovalRecord {
    return {
      id: row.id,
      status: row.status as ApprovalStatus,
      fingerprint: row.fingerprint,
      request: this.b.json.read(row.request) as Record<string, unknown>,
      requested_by: row.requested_by,
      requested_at: Number(row.requested_at),
      expires_at: Number(row.expires_at),
      decided_by: row.decided_by,
      decided_at: row.decided_at === null ? null : Number(row.decided_at),
      used_at: row.used_at === null ? null : Number(row.used_at),
    };
  }
}

function grant(row: Selectable<GrantsTable>): GrantRecord {
  return {
    id: row.id,
    server: row.server,
    pattern: row.pattern,
    granted_by: row.granted_by,
    granted_at: Number(row.granted_at),
    expires_at: Number(row.expires_at),
    approval_id: row.approval_id,
    revoked_at: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}
