import type { Insertable, Kysely } from 'kysely';
import type {
  ApiKeyRow,
  ApiKeyTable,
  ApiTokenRow,
  ApiTokenTable,
  DB,
  OrgAuthTokenRow,
  OrgAuthTokenTable,
  UserRow,
} from '../schema.ts';

/** User auth tokens, organization auth tokens and organization API keys, all looked up by hash. */
export class CredentialStore {
  constructor(private readonly db: Kysely<DB>) {}

  insertUserToken(row: Insertable<ApiTokenTable>): Promise<ApiTokenRow> {
    return this.db.insertInto('api_tokens').values(row).returningAll().executeTakeFirstOrThrow();
  }

  async userTokenByHash(hash: string): Promise<{ token: ApiTokenRow; user: UserRow } | undefined> {
    const token = await this.db.selectFrom('api_tokens').selectAll().where('hashed_token', '=', hash).executeTakeFirst();
    if (!token) return undefined;
    const user = await this.db.selectFrom('users').selectAll().where('id', '=', token.user_id).executeTakeFirst();
    return user ? { token, user } : undefined;
  }

  insertOrgToken(row: Insertable<OrgAuthTokenTable>): Promise<OrgAuthTokenRow> {
    return this.db.insertInto('org_auth_tokens').values(row).returningAll().executeTakeFirstOrThrow();
  }

  orgTokenByHash(hash: string): Promise<OrgAuthTokenRow | undefined> {
    return this.db
      .selectFrom('org_auth_tokens')
      .selectAll()
      .where('token_hashed', '=', hash)
      .where('date_deactivated', 'is', null)
      .executeTakeFirst();
  }

  insertApiKey(row: Insertable<ApiKeyTable>): Promise<ApiKeyRow> {
    return this.db.insertInto('api_keys').values(row).returningAll().executeTakeFirstOrThrow();
  }

  apiKeyByHash(hash: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('key_hashed', '=', hash).executeTakeFirst();
  }

  async hasApiKey(organizationId: number): Promise<boolean> {
    const row = await this.db.selectFrom('api_keys').select('id').where('organization_id', '=', organizationId).executeTakeFirst();
    return row !== undefined;
  }

  async setApiKeyStatus(id: number, status: number): Promise<void> {
    await this.db.updateTable('api_keys').set({ status }).where('id', '=', id).execute();
  }
}
