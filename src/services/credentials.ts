/**
 * Credentials: user auth tokens, organization auth tokens and organization API keys. Issued once
 * in clear and stored only as SHA-256 hashes; checked by hashing, looking up the hash, and
 * comparing it again in constant time. Failures are values; the HTTP edge turns them into 401s.
 */
import { timingSafeEqual } from 'node:crypto';
import { isScope, withImpliedScopes, type Scope } from '../domain/scopes.ts';
import { isoNow } from '../domain/time.ts';
import { generateApiKey, generateOrgToken, generateUserToken, lastCharacters, sha256Hex } from '../domain/tokens.ts';
import type { Database } from '../storage/database.ts';
import type { ApiKeyRow, ApiTokenRow, OrganizationRow, OrgAuthTokenRow, UserRow } from '../storage/schema.ts';
import type { Stores } from '../storage/stores/index.ts';
import type { ChangeBus } from '../changes/bus.ts';
import type { AccessCache } from './access-cache.ts';
import { audit } from './audit.ts';
import type { Actor, Principal } from './principal.ts';

export type CredentialResult = { ok: true; principal: Principal } | { ok: false; message: string };

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

export function parseStoredScopes(json: string): Scope[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? value.filter((s): s is Scope => typeof s === 'string' && isScope(s)) : [];
}

export class CredentialService {
  private readonly stores: Stores;

  constructor(
    private readonly db: Database,
    private readonly publicUrl: string,
    private readonly cache: AccessCache,
    private readonly changes: ChangeBus,
    private readonly clock: () => number = Date.now,
  ) {
    this.stores = db.stores;
  }

  /** Other instances drop what they hold of a credential that stopped working (access-cache.ts). */
  private async revoked(done: boolean): Promise<boolean> {
    if (done) await this.changes.publish({ type: 'access' });
    return done;
  }

  /** A user auth token (Bearer `sntryu_…`). The plaintext is returned once and never stored. */
  async issueUserToken(
    user: UserRow,
    scopes: Scope[],
    options: { name?: string | undefined; expiresAt?: string | undefined; actor?: Actor } = {},
  ): Promise<{ token: string; id: number }> {
    const token = generateUserToken();
    return this.db.transaction(async (stores) => {
      const row = await stores.credentials.insertUserToken({
        user_id: user.id,
        name: options.name ?? null,
        hashed_token: sha256Hex(token),
        token_last_characters: lastCharacters(token),
        scopes: JSON.stringify(withImpliedScopes(scopes)),
        date_created: isoNow(),
        expires_at: options.expiresAt ?? null,
      });
      await auditUserToken(stores, user, row.id, 'apitoken.add', options.actor, { scopes: JSON.parse(row.scopes), expiresAt: row.expires_at });
      return { token, id: row.id };
    });
  }

  /** Revoke (delete) a user token: it is refused as "Invalid token" from then on. */
  async revokeUserToken(id: number, actor: Actor): Promise<boolean> {
    const done = await this.db.transaction(async (stores) => {
      const row = await stores.credentials.userTokenById(id);
      if (!row) return false;
      const user = await stores.users.byId(row.user_id);
      await stores.credentials.deleteUserToken(id);
      if (user) await auditUserToken(stores, user, id, 'apitoken.remove', actor, { name: row.name });
      return true;
    });
    return this.revoked(done);
  }

  /** An organization auth token (Bearer `sntrys_…`). */
  async issueOrgToken(
    org: OrganizationRow,
    name: string,
    scopes: Scope[],
    actor: Actor,
    options: { expiresAt?: string | undefined } = {},
  ): Promise<{ token: string; id: number }> {
    const token = generateOrgToken({ url: this.publicUrl, regionUrl: this.publicUrl, org: org.slug });
    return this.db.transaction(async (stores) => {
      const row = await stores.credentials.insertOrgToken({
        organization_id: org.id,
        name,
        token_hashed: sha256Hex(token),
        token_last_characters: lastCharacters(token),
        scopes: JSON.stringify(withImpliedScopes(scopes)),
        date_created: isoNow(),
        expires_at: options.expiresAt ?? null,
      });
      await audit(stores, { organizationId: org.id, actor, event: 'orgauthtoken.create', targetObject: row.id, data: { name, scopes } });
      return { token, id: row.id };
    });
  }

  /** Deactivate an organization auth token: "Invalid org token" from then on. */
  async revokeOrgToken(org: OrganizationRow, id: number, actor: Actor): Promise<boolean> {
    const done = await this.db.transaction(async (stores) => {
      const deactivated = await stores.credentials.deactivateOrgToken(org.id, id, isoNow());
      if (deactivated) await audit(stores, { organizationId: org.id, actor, event: 'orgauthtoken.remove', targetObject: id, data: {} });
      return deactivated;
    });
    return this.revoked(done);
  }

  /** An organization API key (HTTP Basic with the key as user name, as in Sentry's examples). */
  async issueApiKey(
    org: OrganizationRow,
    scopes: Scope[],
    options: { label?: string | undefined; allowedOrigins?: string[] | undefined; expiresAt?: string | undefined },
    actor: Actor,
  ): Promise<{ key: string; row: ApiKeyRow }> {
    const key = generateApiKey();
    return this.db.transaction(async (stores) => {
      const row = await stores.credentials.insertApiKey({
        organization_id: org.id,
        label: options.label?.trim() || 'Default',
        key_hashed: sha256Hex(key),
        key_last_characters: lastCharacters(key),
        scopes: JSON.stringify(withImpliedScopes(scopes)),
        allowed_origins: options.allowedOrigins?.length ? options.allowedOrigins.join('\n') : null,
        date_created: isoNow(),
        expires_at: options.expiresAt ?? null,
      });
      await audit(stores, { organizationId: org.id, actor, event: 'apikey.add', targetObject: row.id, data: { label: row.label, scopes } });
      return { key, row };
    });
  }

  /** Disable an API key: "Key is disabled" from then on. */
  async revokeApiKey(org: OrganizationRow, id: number, actor: Actor): Promise<boolean> {
    const done = await this.db.transaction(async (stores) => {
      const row = (await stores.credentials.apiKeys(org.id)).find((k) => k.id === id);
      if (!row || row.status !== 0) return false;
      await stores.credentials.setApiKeyStatus(id, 1);
      await audit(stores, { organizationId: org.id, actor, event: 'apikey.remove', targetObject: id, data: { label: row.label } });
      return true;
    });
    return this.revoked(done);
  }

  /** `Authorization: Bearer <token>` that is not an org token (UserAuthTokenAuthentication). */
  /** A user's tokens, for listing (hashes only; a secret is shown once, when issued). */
  userTokens(user: UserRow): Promise<ApiTokenRow[]> {
    return this.db.stores.credentials.userTokens(user.id);
  }

  orgTokens(organization: OrganizationRow): Promise<OrgAuthTokenRow[]> {
    return this.db.stores.credentials.orgTokens(organization.id);
  }

  apiKeys(organization: OrganizationRow): Promise<ApiKeyRow[]> {
    return this.db.stores.credentials.apiKeys(organization.id);
  }

  async userToken(token: string): Promise<CredentialResult> {
    const hash = sha256Hex(token);
    const found = await this.cache.get(`user-token:${hash}`, () => this.stores.credentials.userTokenByHash(hash));
    if (!found || !sameHash(found.token.hashed_token, hash)) return { ok: false, message: 'Invalid token' };
    if (this.expired(found.token.expires_at)) return { ok: false, message: 'Token expired' };
    if (found.user.is_active !== 1) return { ok: false, message: 'User inactive or deleted' };
    return {
      ok: true,
      principal: { kind: 'user-token', user: found.user, tokenId: found.token.id, scopes: parseStoredScopes(found.token.scopes) },
    };
  }

  /** `Authorization: Bearer sntrys_…` (OrgAuthTokenAuthentication). */
  async orgToken(token: string): Promise<CredentialResult> {
    const hash = sha256Hex(token);
    const row = await this.cache.get(`org-token:${hash}`, () => this.stores.credentials.orgTokenByHash(hash));
    if (!row || !sameHash(row.token_hashed, hash)) return { ok: false, message: 'Invalid org token' };
    if (this.expired(row.expires_at)) return { ok: false, message: 'Token expired' };
    return {
      ok: true,
      principal: { kind: 'org-token', organizationId: row.organization_id, tokenId: row.id, scopes: parseStoredScopes(row.scopes) },
    };
  }

  /** `Authorization: Basic base64(<key>:)` (ApiKeyAuthentication). */
  async apiKey(key: string): Promise<CredentialResult> {
    const hash = sha256Hex(key);
    const row = await this.cache.get(`api-key:${hash}`, () => this.stores.credentials.apiKeyByHash(hash));
    if (!row || !sameHash(row.key_hashed, hash)) return { ok: false, message: 'API key is not valid' };
    if (row.status !== 0) return { ok: false, message: 'Key is disabled' };
    if (this.expired(row.expires_at)) return { ok: false, message: 'API key expired' };
    return {
      ok: true,
      principal: {
        kind: 'api-key',
        organizationId: row.organization_id,
        keyId: row.id,
        scopes: parseStoredScopes(row.scopes),
        allowedOrigins: (row.allowed_origins ?? '').split('\n').map((o) => o.trim()).filter(Boolean),
      },
    };
  }

  private expired(expiresAt: string | null): boolean {
    return expiresAt !== null && Date.parse(expiresAt) <= this.clock();
  }
}

/** User tokens belong to no organization: their events go to the audit log of each of the user's. */
async function auditUserToken(
  stores: Stores,
  user: UserRow,
  tokenId: number,
  event: 'apitoken.add' | 'apitoken.remove',
  actor: Actor | undefined,
  data: Record<string, unknown>,
): Promise<void> {
  const who = actor ?? { userId: null, keyId: null, label: 'system', ipAddress: null };
  for (const organizationId of await stores.members.organizationIdsOf(user.id)) {
    await audit(stores, { organizationId, actor: who, event, targetObject: tokenId, data: { user: user.email, ...data } });
  }
}
