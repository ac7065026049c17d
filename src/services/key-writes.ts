/**
 * A client key is written with its audit entry in the same transaction, so an entry exists exactly
 * when its key does. Every way a key comes to be (create, a project's Default key, a rotation's
 * successor, an import) inserts it here.
 */
import { KEY_ROLES, KEY_STATUS } from '../domain/keys.ts';
import type { NewProjectKey, ProjectKeyRow } from '../storage/schema.ts';
import type { Stores } from '../storage/stores/index.ts';
import type { CommitNotification } from '../storage/stores/project-keys.ts';
import { auditRow, keyAuditData } from './audit.ts';
import type { Actor } from './principal.ts';

/** The column defaults of `roles` and `status`, for a key that names neither. */
const DEFAULT_ROLES = KEY_ROLES.store;
const DEFAULT_STATUS = KEY_STATUS.active;

/**
 * Insert a key and its `projectkey.add` entry with the given (transaction's) stores; `note` adds to
 * the entry. On PostgreSQL both are one statement (see ProjectKeyStore.insertAudited), which is
 * atomic by itself, so the stores may also be the database's own; `notification` then rides in it.
 */
export async function addKey(
  stores: Stores,
  organizationId: number,
  values: NewProjectKey,
  actor: Actor,
  note: Record<string, unknown> = {},
  notification?: CommitNotification,
): Promise<ProjectKeyRow> {
  // The entry's data is what keyAuditData reads of the stored row; every field of it is given here
  // (by its column default where not), so it is written in the same statement as the key.
  const stored = {
    ...values,
    roles: values.roles ?? DEFAULT_ROLES,
    status: values.status ?? DEFAULT_STATUS,
    rate_limit_count: values.rate_limit_count ?? null,
    rate_limit_window: values.rate_limit_window ?? null,
    policy: values.policy ?? null,
  } as ProjectKeyRow;
  const entry = auditRow({ organizationId, actor, event: 'projectkey.add', data: { ...keyAuditData(stored), ...note } });
  return stores.projectKeys.insertAudited(values, entry, notification);
}
