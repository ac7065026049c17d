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

  userTokens(userId: number): Promise<ApiTokenRow[]> {
    return this.db.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).orderBy('id').execute();
  }

  userTokenById(id: number): Promise<ApiTokenRow | undefined> {
    return this.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async deleteUserToken(id: number): Promise<void> {
    await this.db.deleteFrom('api_tokens').where('id', '=', id).execute();
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

  orgTokens(organizationId: number): Promise<OrgAuthTokenRow[]> {
    return this.db.selectFrom('org_auth_tokens').selectAll().where('organization_id', '=', organizationId).orderBy('id').execute();
  }

  async deactivateOrgToken(organizationId: number, id: number, when: string): Promise<boolean> {
    const result = await this.db
      .updateTable('org_auth_tokens')
      .set({ date_deactivated: when })
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .where('date_deactivated', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  insertApiKey(row: Insertable<ApiKeyTable>): Promise<ApiKeyRow> {
    return this.db.insertInto('api_keys').values(row).returningAll().executeTakeFirstOrThrow();
  }

  apiKeyByHash(hash: string): Promise<ApiKeyRow | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('key_hashed', '=', hash).executeTakeFirst();
  }

  apiKeys(organizationId: number): Promise<ApiKeyRow[]> {
    return this.db.selectFrom('api_keys').selectAll().where('organization_id', '=', organizationId).orderBy('id').execute();
  }

  async hasApiKey(organizationId: number): Promise<boolean> {
    const row = await this.db.selectFrom('api_keys').select('id').where('organization_id', '=', organizationId).executeTakeFirst();
    return row !== undefined;
  }

  async setApiKeyStatus(id: number, status: number): Promise<void> {
    await this.db.updateTable('api_keys').set({ status }).where('id', '=', id).execute();
  }
}
