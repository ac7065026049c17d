import type { Insertable, Kysely } from 'kysely';
import type { AuditLogRow, AuditLogTable, DB } from '../schema.ts';

export class AuditLogStore {
  constructor(private readonly db: Kysely<DB>) {}

  insert(row: Insertable<AuditLogTable>): Promise<AuditLogRow> {
    return this.db.insertInto('audit_log_entries').values(row).returningAll().executeTakeFirstOrThrow();
  }

  /** Newest first; used by tests and the audit-log endpoint. */
  list(organizationId: number, limit = 100): Promise<AuditLogRow[]> {
    return this.db
      .selectFrom('audit_log_entries')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }
}
