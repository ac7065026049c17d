/**
 * Credentials: user auth tokens (`sntryu_…`), organization auth tokens (`sntrys_…`) and legacy
 * organization API keys, generated as Sentry does and stored only as SHA-256 hashes.
 */
import { createHash, randomBytes } from 'node:crypto';

export const USER_TOKEN_PREFIX = 'sntryu_';
export const ORG_TOKEN_PREFIX = 'sntrys_';

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** `sntryu_` + `secrets.token_hex(32)` (S:src/sentry/models/apitoken.py). */
export function generateUserToken(): string {
  return USER_TOKEN_PREFIX + randomBytes(32).toString('hex');
}

/**
 * `sntrys_` + base64(JSON payload) + `_` + base64(32 random bytes) without padding
 * (S:src/sentry/utils/security/orgauthtoken_token.py). Standard base64 never contains `_`.
 */
export function generateOrgToken(payload: { url: string; regionUrl: string; org: string }): string {
  const json = JSON.stringify({ iat: Date.now() / 1000, url: payload.url, region_url: payload.regionUrl, org: payload.org });
  const secret = randomBytes(32).toString('base64').replace(/=+$/, '');
  return `${ORG_TOKEN_PREFIX}${Buffer.from(json, 'utf8').toString('base64')}_${secret}`;
}

/** Legacy ApiKey: `uuid4().hex`, 32 hex characters; here from 16 random bytes. */
export function generateApiKey(): string {
  return randomBytes(16).toString('hex');
}

/** What is kept to let an operator recognise a credential without storing it. */
export function lastCharacters(secret: string): string {
  return secret.slice(-4);
}

/** A browser session's cookie value: 256 bits, URL-safe. */
export function generateSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What `generateSessionToken` makes (and a CSRF token, made the same way). */
export const SESSION_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
