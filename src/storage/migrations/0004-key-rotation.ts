import type { Kysely } from 'kysely';

/**
 * Key rotation: a key may be set to stop at a time (the end of its overlap window), and names the
 * key that replaces it, or the one it replaces.
 */
export function keyRotation() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('project_keys').addColumn('expires_at', 'text').execute();
      await db.schema.alterTable('project_keys').addColumn('replaced_by', 'text').execute();
      await db.schema.alterTable('project_keys').addColumn('replaces', 'text').execute();
      // The expiry sweep looks for active keys whose time has come.
      await db.schema.createIndex('project_keys_expires_at').on('project_keys').columns(['expires_at']).execute();
    },
  };
}
