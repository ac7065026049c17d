/** The caller as `GET /users/me/` shows them (DetailedSelfUserSerializer). */
import { z } from 'zod';

export const selfUserSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    username: z.string(),
    email: z.string(),
    avatarUrl: z.string(),
    isActive: z.boolean(),
    isSuspended: z.boolean(),
    hasPasswordAuth: z.boolean(),
    isManaged: z.boolean(),
    dateJoined: z.string(),
    lastLogin: z.string().nullable(),
    has2fa: z.boolean(),
    lastActive: z.string().nullable(),
    isSuperuser: z.boolean(),
    isStaff: z.boolean(),
    emails: z.array(z.object({ id: z.string(), email: z.string(), is_verified: z.boolean() })),
    experiments: z.record(z.string(), z.unknown()),
    options: z.record(z.string(), z.unknown()),
    flags: z.record(z.string(), z.unknown()),
    avatar: z.object({ avatarType: z.string(), avatarUuid: z.string().nullable(), avatarUrl: z.string().nullable() }),
    identities: z.array(z.unknown()),
    permissions: z.array(z.string()),
    authenticators: z.array(z.unknown()),
  })
  .meta({ id: 'SelfUser' });
