/**
 * Reading credentials, in the order of Sentry's authenticators: the Authorization header
 * (UserAuthToken, OrgAuthToken, ApiKey, with DRF's messages for malformed headers), then the
 * session cookie (SessionAuthentication, which enforces CSRF on unsafe methods); then Sentry's
 * Origin check for credentials that carry allowed origins.
 */
import type { FastifyRequest } from 'fastify';
import { SCOPES } from '../domain/scopes.ts';
import { trimTrailingSlashes } from '../domain/origins.ts';
import { ORG_TOKEN_PREFIX } from '../domain/tokens.ts';
import type { CredentialService, CredentialResult } from '../services/credentials.ts';
import type { Principal } from '../services/principal.ts';
import type { SessionService } from '../services/sessions.ts';
import { badOrigin, csrfHeader, isUnsafeMethod, originTrusted, tokenIncorrect, tokenMissing } from './csrf.ts';
import { ApiError, authenticationFailed, invalidOrigin } from './errors.ts';
import type { SessionCookies } from './session-cookies.ts';

export interface Authenticators {
  credentials: CredentialService;
  sessions: SessionService;
  cookies: SessionCookies;
  publicUrl: string;
}

/** Python's `bytes.split()`: runs of ASCII whitespace. */
function splitHeader(value: string): string[] {
  return value.split(/[ \t\n\r\x0b\x0c]+/).filter(Boolean);
}

function unwrap(result: CredentialResult): Principal {
  if (!result.ok) throw authenticationFailed(result.message);
  return result.principal;
}

/**
 * The caller's principal, undefined when anonymous; throws a 401 ApiError for bad credentials and
 * a 403 for a session request that fails the CSRF check. A header that no authenticator claims
 * (another scheme, Basic with a password) falls through to the session, as in DRF.
 */
export async function authenticate(request: FastifyRequest, auth: Authenticators): Promise<Principal | undefined> {
  return (await fromAuthorization(request.headers.authorization, auth.credentials)) ?? fromSession(request, auth);
}

/**
 * SessionAuthentication: a signed-in browser, last. An unknown or expired session is anonymous
 * (Django's AnonymousUser); unsafe methods must pass the CSRF check.
 */
async function fromSession(request: FastifyRequest, auth: Authenticators): Promise<Principal | undefined> {
  const session = await auth.sessions.resolve(auth.cookies.sessionToken(request));
  if (!session) return undefined;
  if (isUnsafeMethod(request.method)) {
    if (!originTrusted(request, auth.publicUrl)) throw badOrigin(request);
    const token = csrfHeader(request);
    if (!token) throw tokenMissing();
    if (!auth.sessions.csrfMatches(session, token)) throw tokenIncorrect();
  }
  return { kind: 'session', user: session.user, sessionId: session.id, scopes: SCOPES };
}

async function fromAuthorization(header: string | undefined, credentials: CredentialService): Promise<Principal | undefined> {
  if (!header) return undefined;
  const parts = splitHeader(header);
  const scheme = parts[0]?.toLowerCase();
  if (scheme === 'bearer') {
    if (parts.length === 1) throw authenticationFailed('Invalid token header. No credentials provided.');
    if (parts.length > 2) throw authenticationFailed('Invalid token header. Token string should not contain spaces.');
    const token = parts[1] as string;
    return unwrap(token.startsWith(ORG_TOKEN_PREFIX) ? await credentials.orgToken(token) : await credentials.userToken(token));
  }
  if (scheme === 'basic') {
    if (parts.length === 1) throw authenticationFailed('Invalid basic header. No credentials provided.');
    if (parts.length > 2) throw authenticationFailed('Invalid basic header. Credentials string should not contain spaces.');
    const decoded = decodeBasic(parts[1] as string);
    if (decoded === undefined) throw authenticationFailed('Invalid basic header. Credentials not correctly base64 encoded.');
    // ApiKeyAuthentication only claims "<key>:" with an empty password; anything else stays anonymous.
    if (decoded.password) return undefined;
    return unwrap(await credentials.apiKey(decoded.user));
  }
  return undefined;
}

function decodeBasic(encoded: string): { user: string; password: string } | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return undefined;
  const text = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * Sentry's `is_valid_origin(origin, allowed=request.auth.get_allowed_origins())`: token requests
 * from a browser Origin are refused unless the credential lists that origin. Anonymous requests
 * are not checked (SENTRY_ALLOW_ORIGIN defaults to "*"), nor are sessions (`request.auth` is None
 * for them in Sentry; their CSRF check covers the Origin).
 */
export function checkOrigin(request: FastifyRequest, principal: Principal | undefined): void {
  const origin = request.headers.origin;
  // `Origin: null` (a sandboxed iframe, a file: page) is checked like any other: Sentry's
  // is_valid_origin admits it only where every origin is.
  if (!origin || !principal || principal.kind === 'session') return;
  const allowed = principal.kind === 'api-key' ? principal.allowedOrigins : [];
  if (!originAllowed(origin, allowed)) throw invalidOrigin(origin);
}

export function originAllowed(origin: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return false;
  if (allowed.includes('*')) return true;
  const lower = origin.toLowerCase();
  if (lower === 'null') return false;
  if (allowed.some((a) => trimTrailingSlashes(a.toLowerCase()) === lower)) return true;
  let parsed: URL;
  try {
    parsed = new URL(lower);
  } catch {
    return false;
  }
  return allowed.some((entry) => matchesOriginPattern(parsed, trimTrailingSlashes(entry.toLowerCase())));
}

/** `parse_uri_match` patterns: `scheme://domain[:port][/path]`, `*.domain`, `domain`, `*:port`. */
function matchesOriginPattern(origin: URL, pattern: string): boolean {
  let rest = pattern;
  let scheme = '*';
  if (rest.includes('://')) [scheme, rest] = rest.split('://', 2) as [string, string];
  if (scheme !== '*' && `${scheme}:` !== origin.protocol) return false;
  const slash = rest.indexOf('/');
  const domain = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash + 1) : '*';
  const host = origin.hostname;
  if (domain.startsWith('*.')) return host.endsWith(domain.slice(1)) || host === domain.slice(2);
  const candidates = origin.port ? ['*', host, `${host}:${origin.port}`, `*:${origin.port}`] : ['*', host];
  if (!candidates.includes(domain)) return false;
  if (path === '*') return true;
  return origin.pathname.startsWith(path.endsWith('*') ? path.slice(0, -1) : path);
}

/**
 * `/api/0/auth/` (AuthIndexEndpoint) has its own authenticators, QuietBasicAuthentication and
 * SessionAuthentication, behind Sentry's AuthenticationMiddleware, which has already put a user
 * token's user on the request. So: a valid user token is its user; any other Bearer credential (a
 * bad token, an organization token) leaves the request anonymous, or to the session when the
 * middleware fell back to it; Basic credentials are a user name and password (clientkeys takes no
 * passwords there, so they are refused as wrong ones); otherwise the session.
 */
export async function authenticateAuthIndex(request: FastifyRequest, auth: Authenticators): Promise<Principal | undefined> {
  const parts = splitHeader(request.headers.authorization ?? '');
  const scheme = parts[0]?.toLowerCase();
  if (scheme === 'basic') throw quietBasicFailed(parts);
  if (scheme === 'bearer') {
    const token = parts.length === 2 ? (parts[1] as string) : undefined;
    if (token && !token.startsWith(ORG_TOKEN_PREFIX)) {
      const result = await auth.credentials.userToken(token);
      if (result.ok) return result.principal;
    } else if (token) {
      // OrgAuthTokenAuthentication leaves Django's AnonymousUser on the request, not the session.
      if ((await auth.credentials.orgToken(token)).ok) return undefined;
    }
  }
  return fromSession(request, auth);
}

/** DRF BasicAuthentication's failures, with QuietBasicAuthentication's challenge. */
function quietBasicFailed(parts: string[]): ApiError {
  const challenge = { 'www-authenticate': 'xBasic realm="api"' };
  const message =
    parts.length === 1
      ? 'Invalid basic header. No credentials provided.'
      : parts.length > 2
        ? 'Invalid basic header. Credentials string should not contain spaces.'
        : decodeBasic(parts[1] as string) === undefined
          ? 'Invalid basic header. Credentials not correctly base64 encoded.'
          : 'Invalid username/password.';
  return new ApiError('authentication_failed', 401, { detail: message }, challenge);
}
