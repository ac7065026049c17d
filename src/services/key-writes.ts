/**
 * A client key is written with its audit entry in the same transaction, so an entry exists exactly
 * when its key does. Every way a key comes to be (create, a project's Default key, a rotation's
 * successor, an import) inserts it here.
 */
import type { NewProjectKey, ProjectKeyRow } from '../storage/schema.ts';
import type { Stores } from '../storage/stores/index.ts';
import { audit, keyAuditData } from './audit.ts';
import type { Actor } from './principal.ts';

/** Insert a key and its `projectkey.add` entry with the given (transaction's) stores; `note` adds to the entry. */
export async function addKey(
  stores: Stores,
  organizationId: number,
  values: NewProjectKey,
  actor: Actor,
  note: Record<string, unknown> = {},
): Promise<ProjectKeyRow> {
  const key = await stores.projectKeys.insert(values);
  await audit(stores, { organizationId, actor, event: 'projectkey.add', targetObject: key.id, data: { ...keyAuditData(key), ...note } });
  return key;
}
