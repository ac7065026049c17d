import type { Scope } from '../domain/scopes.ts';
import type { UserRow } from '../storage/schema.ts';

/** Who is calling, once their credential has been checked. */
export type Principal =
  | { kind: 'user-token'; user: UserRow; tokenId: number; scopes: readonly Scope[] }
  | { kind: 'org-token'; organizationId: number; tokenId: number; scopes: readonly Scope[] }
  | { kind: 'api-key'; organizationId: number; keyId: number; scopes: readonly Scope[]; allowedOrigins: readonly string[] };

/** Superusers act as Sentry's "active superuser": every organization, internal keys, `useCase`. */
export function isSuperuser(principal: Principal | undefined): boolean {
  return principal?.kind === 'user-token' && principal.user.is_superuser === 1;
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
      return { userId: principal.user.id, keyId: null, label: principal.user.email, ipAddress };
    case 'org-token':
      return { userId: null, keyId: null, label: `org auth token ${principal.tokenId}`, ipAddress };
    case 'api-key':
      return { userId: null, keyId: principal.keyId, label: `api key ${principal.keyId}`, ipAddress };
    default:
      return { userId: null, keyId: null, label: 'system', ipAddress };
  }
}
