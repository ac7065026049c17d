import type { Insertable, Kysely } from 'kysely';
import type { PageRequest } from '../../domain/paginator.ts';
import { isoMicros } from '../../domain/time.ts';
import type { AuditLogRow, AuditLogTable, DB } from '../schema.ts';

/** 9999-12-31T23:59:59.999Z: cursors beyond it name no time ISO-8601 can write. */
const MAX_MILLIS = 253402300799999;

export interface AuditLogFilter {
  organizationId: number;
  event?: string;
  actorUserId?: number;
}

export class AuditLogStore {
  constructor(private readonly db: Kysely<DB>) {}

  insert(row: Insertable<AuditLogTable>): Promise<AuditLogRow> {
    return this.db.insertInto('audit_log_entries').values(row).returningAll().executeTakeFirstOrThrow();
  }

  /** Newest first; for tests and the CLI. */
  list(organizationId: number, limit = 100): Promise<AuditLogRow[]> {
    return this.db
      .selectFrom('audit_log_entries')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }

  /** One page ordered by time, the cursor bound being epoch milliseconds (DateTimePaginator). */
  page(filter: AuditLogFilter, request: PageRequest): Promise<AuditLogRow[]> {
    let query = this.db.selectFrom('audit_log_entries').selectAll().where('organization_id', '=', filter.organizationId);
    if (filter.event !== undefined) query = query.where('event', '=', filter.event);
    if (filter.actorUserId !== undefined) query = query.where('actor_user_id', '=', filter.actorUserId);
    if (request.bound !== undefined) {
      // ISO-8601 text of fixed width compares in time order.
      const millis = Math.min(Math.max(request.bound, 0), MAX_MILLIS);
      const bound = isoMicros(BigInt(Math.trunc(millis * 1000)));
      query = query.where('datetime', request.ascending ? '>=' : '<=', bound);
    }
    const direction = request.ascending ? 'asc' : 'desc';
    return query.orderBy('datetime', direction).orderBy('id', direction).limit(request.limit).offset(request.offset).execute();
  }
}
