/**
 * Checking credentials: a secret is hashed, looked up by its hash, and the stored hash compared
 * again in constant time. The results are values; the HTTP edge turns failures into 401s.
 */
import { timingSafeEqual } from 'node:crypto';
import { isScope, type Scope } from '../domain/scopes.ts';
import { sha256Hex } from '../domain/tokens.ts';
import type { Stores } from '../storage/stores/index.ts';
import type { Principal } from './principal.ts';

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
  constructor(
    private readonly stores: Stores,
    private readonly clock: () => number = Date.now,
  ) {}

  /** `Authorization: Bearer <token>` that is not an org token (UserAuthTokenAuthentication). */
  async userToken(token: string): Promise<CredentialResult> {
    const hash = sha256Hex(token);
    const found = await this.stores.credentials.userTokenByHash(hash);
    if (!found || !sameHash(found.token.hashed_token, hash)) return { ok: false, message: 'Invalid token' };
    if (found.token.expires_at && Date.parse(found.token.expires_at) <= this.clock()) {
      return { ok: false, message: 'Token expired' };
    }
    if (found.user.is_active !== 1) return { ok: false, message: 'User inactive or deleted' };
    return {
      ok: true,
      principal: { kind: 'user-token', user: found.user, tokenId: found.token.id, scopes: parseStoredScopes(found.token.scopes) },
    };
  }

  /** `Authorization: Bearer sntrys_…` (OrgAuthTokenAuthentication). */
  async orgToken(token: string): Promise<CredentialResult> {
    const hash = sha256Hex(token);
    const row = await this.stores.credentials.orgTokenByHash(hash);
    if (!row || !sameHash(row.token_hashed, hash)) return { ok: false, message: 'Invalid org token' };
    return {
      ok: true,
      principal: { kind: 'org-token', organizationId: row.organization_id, tokenId: row.id, scopes: parseStoredScopes(row.scopes) },
    };
  }

  /** `Authorization: Basic base64(<key>:)` (ApiKeyAuthentication). */
  async apiKey(key: string): Promise<CredentialResult> {
    const hash = sha256Hex(key);
    const row = await this.stores.credentials.apiKeyByHash(hash);
    if (!row || !sameHash(row.key_hashed, hash)) return { ok: false, message: 'API key is not valid' };
    if (row.status !== 0) return { ok: false, message: 'Key is disabled' };
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
}
