/**
 * Audit entries, written with the stores of the transaction that makes the change, so an entry
 * exists exactly when its change does. Entries never hold a secret.
 */
import { isoNow } from '../domain/time.ts';
import type { ProjectKeyRow } from '../storage/schema.ts';
import type { Stores } from '../storage/stores/index.ts';
import type { Actor } from './principal.ts';

export type AuditEvent =
  | 'org.create'
  | 'org.edit'
  | 'team.create'
  | 'project.add'
  | 'project.edit'
  | 'project.remove'
  | 'projectkey.add'
  | 'projectkey.edit'
  | 'projectkey.remove'
  | 'member.add'
  | 'member.edit'
  | 'apikey.add'
  | 'apikey.remove'
  | 'apitoken.add'
  | 'apitoken.remove'
  | 'orgauthtoken.create'
  | 'orgauthtoken.remove';

export interface AuditRecord {
  organizationId: number;
  actor: Actor;
  event: AuditEvent;
  targetObject: number | null;
  data: Record<string, unknown>;
}

/** The stored row of an entry, without its target (which a key insert learns only as it writes). */
export function auditRow(record: Omit<AuditRecord, 'targetObject'>) {
  return {
    organization_id: record.organizationId,
    actor_user_id: record.actor.userId,
    actor_key_id: record.actor.keyId,
    actor_label: record.actor.label,
    ip_address: record.actor.ipAddress,
    event: record.event,
    data: JSON.stringify(record.data),
    datetime: isoNow(),
  };
}

export async function audit(stores: Stores, record: AuditRecord): Promise<void> {
  await stores.auditLog.insert({ ...auditRow(record), target_object: record.targetObject });
}

/** `ProjectKey.get_audit_log_data()` without `secret_key`. */
export function keyAuditData(key: ProjectKeyRow): Record<string, unknown> {
  return {
    label: key.label,
    public_key: key.public_key,
    roles: key.roles,
    status: key.status,
    rate_limit_count: key.rate_limit_count,
    rate_limit_window: key.rate_limit_window,
    // clientkeys: quotas, IP and origin rules (never a secret).
    ...(key.policy ? { policy: JSON.parse(key.policy) as unknown } : {}),
  };
}
