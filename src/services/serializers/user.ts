/**
 * Sentry's UserSerializer (S:src/sentry/users/api/serializers/user.py) in its field order: the
 * full form for a user serializing themself, without `options`/`flags` for anyone else.
 */
import { createHash } from 'node:crypto';
import type { UserRow } from '../../storage/schema.ts';

export function gravatarUrl(email: string, size = 32): string {
  const hash = createHash('md5').update(email.trim().toLowerCase()).digest('hex');
  return `https://gravatar.com/avatar/${hash}?s=${size}&d=mm`;
}

export function serializeUser(user: UserRow, options: { self: boolean }) {
  const base = {
    id: String(user.id),
    name: user.name || user.email,
    username: user.email,
    email: user.email,
    avatarUrl: gravatarUrl(user.email),
    isActive: user.is_active === 1,
    isSuspended: false,
    hasPasswordAuth: user.password_hash !== null,
    isManaged: false,
    dateJoined: user.date_joined,
    lastLogin: null,
    has2fa: false,
    lastActive: null,
    isSuperuser: user.is_superuser === 1,
    isStaff: false,
    emails: options.self ? [{ id: String(user.id), email: user.email, is_verified: true }] : [],
    experiments: {},
  };
  const avatar = { avatarType: 'letter_avatar', avatarUuid: null, avatarUrl: null };
  if (!options.self) return { ...base, avatar };
  return {
    ...base,
    options: {
      theme: 'system',
      language: 'en',
      stacktraceOrder: -1,
      defaultIssueEvent: 'recommended',
      timezone: 'UTC',
      clock24Hours: false,
      prefersIssueDetailsStreamlinedUI: null,
    },
    flags: { newsletter_consent_prompt: false },
    avatar,
    identities: [],
  };
}

export function serializeSelfUser(user: UserRow) {
  return serializeUser(user, { self: true });
}
