import type { Kysely } from 'kysely';

/** API keys and organization auth tokens may expire, like user tokens already can. */
export function credentialExpiry() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('api_keys').addColumn('expires_at', 'text').execute();
      await db.schema.alterTable('org_auth_tokens').addColumn('expires_at', 'text').execute();
    },
  };
}
