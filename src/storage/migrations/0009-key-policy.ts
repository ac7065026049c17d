import type { Kysely } from 'kysely';

/**
 * A key's policy beyond Sentry's rateLimit (quotas per data category, IP and origin rules), as
 * JSON; null for a key without one. A project's defaults for new keys live in its options
 * (`clientkeys:key_defaults`).
 */
export function keyPolicy() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('project_keys').addColumn('policy', 'text').execute();
    },
  };
}
