/**
 * The audit log as Sentry serves it (S:src/sentry/api/endpoints/organization_auditlogs.py and
 * AuditLogEntrySerializer): newest first through the DateTimePaginator, each row with its actor,
 * event name, IP, a readable note, target and data.
 */
import { paginate, type Cursor, type PageResult } from '../domain/paginator.ts';
import { epochMillis } from '../domain/time.ts';
import type { Database } from '../storage/database.ts';
import type { AuditLogRow } from '../storage/schema.ts';
import type { AuditLogFilter } from '../storage/stores/audit-log.ts';
import type { AuditEvent } from './audit.ts';
import { serializeUser } from './serializers/user.ts';

type Data = Record<string, unknown>;

const NOTES: Readonly<Record<AuditEvent, (d: Data) => string>> = {
  'org.create': () => 'created the organization',
  'org.edit': (d) => `edited the organization setting: ${Object.keys(d).filter((k) => !k.startsWith('old_')).join(', ')}`,
  'team.create': (d) => `created team ${String(d.slug)}`,
  'project.add': (d) => `created project ${String(d.slug)}`,
  'project.edit': (d) => `edited project ${String(d.slug)}`,
  'project.remove': (d) => `removed project ${String(d.slug)}`,
  'projectkey.add': (d) => `added project key ${String(d.public_key)}`,
  'projectkey.edit': (d) => `edited project key ${String(d.public_key)}`,
  'projectkey.remove': (d) => `removed project key ${String(d.public_key)}`,
  'member.add': (d) => `added member ${String(d.email)} as ${String(d.role)}`,
  'member.edit': (d) => `changed member ${String(d.email)} from ${String(d.prev_role)} to ${String(d.role)}`,
  'apikey.add': (d) => `added api key ${String(d.label)}`,
  'apikey.remove': (d) => `revoked api key ${String(d.label)}`,
  'apitoken.add': (d) => `created a user auth token for ${String(d.user)}`,
  'apitoken.remove': (d) => `revoked a user auth token of ${String(d.user)}`,
  'orgauthtoken.create': (d) => `created org auth token ${String(d.name)}`,
  'orgauthtoken.remove': () => 'revoked an org auth token',
};

/** Every event name the log can hold (Sentry's `audit_log.get_api_names()`, the `options` list). */
export const AUDIT_EVENTS = Object.keys(NOTES).sort() as AuditEvent[];

export function isAuditEvent(name: string): name is AuditEvent {
  return Object.hasOwn(NOTES, name);
}

export class AuditLogService {
  constructor(private readonly db: Database) {}

  page(filter: AuditLogFilter, cursor: Cursor | undefined, limit: number): Promise<PageResult<AuditLogRow>> {
    // An unknown event name matches nothing (Sentry: validate_event → None → queryset.none()).
    const matchesNothing = filter.event !== undefined && !isAuditEvent(filter.event);
    return paginate({
      cursor,
      limit,
      descending: true,
      key: (row) => epochMillis(row.datetime),
      fetch: (request) => (matchesNothing ? Promise.resolve([]) : this.db.stores.auditLog.page(filter, request)),
    });
  }

  async serialize(rows: AuditLogRow[]) {
    const actorIds = [...new Set(rows.map((r) => r.actor_user_id).filter((id): id is number => id !== null))];
    const actors = new Map<number, ReturnType<typeof serializeUser>>();
    for (const id of actorIds) {
      const user = await this.db.stores.users.byId(id);
      if (user) actors.set(id, serializeUser(user, { self: false }));
    }
    return rows.map((row) => {
      const data = JSON.parse(row.data) as Data;
      return {
        id: String(row.id),
        actor: (row.actor_user_id !== null && actors.get(row.actor_user_id)) || { name: row.actor_label },
        event: row.event,
        ipAddress: row.ip_address,
        note: isAuditEvent(row.event) ? NOTES[row.event](data) : '',
        targetObject: row.target_object,
        targetUser: null,
        data,
        dateCreated: row.datetime,
      };
    });
  }
}
