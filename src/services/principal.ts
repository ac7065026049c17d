import type { Scope } from '../domain/scopes.ts';
import type { UserRow } from '../storage/schema.ts';

/** Who is calling, once their credential has been checked. */
export type Principal =
  | { kind: 'user-token'; user: UserRow; tokenId: number; scopes: readonly Scope[] }
  /**
   * A signed-in browser (Sentry's SessionAuthentication). It holds every scope, as Sentry's
   * `has_permission` lets any authenticated session user through; what the user may do is then
   * decided by their roles alone (the organization role and their team roles).
   */
  | { kind: 'session'; user: UserRow; sessionId: number; scopes: readonly Scope[] }
  | { kind: 'org-token'; organizationId: number; tokenId: number; scopes: readonly Scope[] }
  | { kind: 'api-key'; organizationId: number; keyId: number; scopes: readonly Scope[]; allowedOrigins: readonly string[] };

export type UserPrincipal = Extract<Principal, { kind: 'user-token' | 'session' }>;

/** A principal that acts as a user (a user token or a session), as opposed to an organization credential. */
export function isUserPrincipal(principal: Principal | undefined): principal is UserPrincipal {
  return principal?.kind === 'user-token' || principal?.kind === 'session';
}

/** The user acting, if a user is acting. */
export function principalUser(principal: Principal | undefined): UserRow | undefined {
  return isUserPrincipal(principal) ? principal.user : undefined;
}

/**
 * Sentry's "active superuser" (every organization, internal keys, `useCase`): a superuser signed in
 * with a session. A superuser's token is an ordinary member token, as in Sentry, where superuser
 * status lives in the session (S:src/sentry/auth/superuser.py `Superuser.is_active`).
 */
export function isSuperuser(principal: Principal | undefined): boolean {
  return principal?.kind === 'session' && principal.user.is_superuser === 1;
}

/** Who did it, for the audit log: never a secret. */
export interface Actor {
  userId: number | null;
  keyId: number | null;
  label: string;
  ipAddress: string | null;
}

export function actorOf(principal: Principal | undefined, ipAddress: string | null): Actor {
  switch (principal?.kind) {
    case 'user-token':
    case 'session':
      return { userId: principal.user.id, keyId: null, label: principal.user.email, ipAddress };
    case 'org-token':
      return { userId: null, keyId: null, label: `org auth token ${principal.tokenId}`, ipAddress };
    case 'api-key':
      return { userId: null, keyId: principal.keyId, label: `api key ${principal.keyId}`, ipAddress };
    default:
      return { userId: null, keyId: null, label: 'system', ipAddress };
  }
}
