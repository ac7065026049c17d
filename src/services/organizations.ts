/**
 * Organizations, teams, users, members and their credentials: what an operator sets up through
 * the CLI before any client key exists. Failures come back as values with a readable message.
 */
import { hashPassword, MIN_PASSWORD_LENGTH } from '../domain/passwords.ts';
import { type OrgRole, type Scope, type TeamRole, withImpliedScopes } from '../domain/scopes.ts';
import {
  MIXED_SLUG_PATTERN,
  ORG_SLUG_ERROR,
  ORG_SLUG_MAX_LENGTH,
  ORG_SLUG_PATTERN,
  RESERVED_ORGANIZATION_SLUGS,
  SLUG_ERROR,
} from '../domain/slugs.ts';
import { isoNow } from '../domain/time.ts';
import {
  generateApiKey,
  generateOrgToken,
  generateUserToken,
  lastCharacters,
  sha256Hex,
} from '../domain/tokens.ts';
import type { Database } from '../storage/database.ts';
import { uniqueViolation } from '../storage/errors.ts';
import type { ApiKeyRow, MemberRow, OrganizationRow, TeamRow, UserRow } from '../storage/schema.ts';
import { audit } from './audit.ts';
import type { Actor } from './principal.ts';

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(error: string): Result<T> => ({ ok: false, error });

const EMAIL = /^[^\s@]+@[^\s@]+$/;

export class OrganizationService {
  constructor(
    private readonly db: Database,
    private readonly publicUrl: string,
  ) {}

  async createOrganization(slug: string, name: string | undefined, actor: Actor): Promise<Result<OrganizationRow>> {
    if (!ORG_SLUG_PATTERN.test(slug) || slug.length > ORG_SLUG_MAX_LENGTH || slug.length < 3) {
      return fail(`invalid organization slug "${slug}": ${ORG_SLUG_ERROR} (3 to ${ORG_SLUG_MAX_LENGTH} characters)`);
    }
    if (RESERVED_ORGANIZATION_SLUGS.has(slug.toLowerCase())) return fail(`organization slug "${slug}" is reserved`);
    try {
      return ok(
        await this.db.transaction(async (stores) => {
          const org = await stores.organizations.insert({ slug, name: name?.trim() || slug, date_created: isoNow() });
          await audit(stores, { organizationId: org.id, actor, event: 'org.create', targetObject: org.id, data: { slug, name: org.name } });
          return org;
        }),
      );
    } catch (error) {
      if (uniqueViolation(error)) return fail(`organization "${slug}" already exists`);
      throw error;
    }
  }

  async createTeam(org: OrganizationRow, slug: string, name: string | undefined, actor: Actor): Promise<Result<TeamRow>> {
    if (!MIXED_SLUG_PATTERN.test(slug) || slug.length > 50) return fail(`invalid team slug "${slug}": ${SLUG_ERROR}`);
    try {
      return ok(
        await this.db.transaction(async (stores) => {
          const team = await stores.teams.insert({ organization_id: org.id, slug, name: name?.trim() || slug, date_created: isoNow() });
          await audit(stores, { organizationId: org.id, actor, event: 'team.create', targetObject: team.id, data: { slug, name: team.name } });
          return team;
        }),
      );
    } catch (error) {
      if (uniqueViolation(error)) return fail(`team "${org.slug}/${slug}" already exists`);
      throw error;
    }
  }

  async createUser(email: string, options: { superuser?: boolean; password?: string | undefined }): Promise<Result<UserRow>> {
    const normalized = email.trim().toLowerCase();
    if (!EMAIL.test(normalized)) return fail(`invalid email address "${email}"`);
    if (options.password !== undefined && options.password.length < MIN_PASSWORD_LENGTH) {
      return fail(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
    }
    const passwordHash = options.password === undefined ? null : await hashPassword(options.password);
    try {
      return ok(
        await this.db.stores.users.insert({
          email: normalized,
          name: '',
          password_hash: passwordHash,
          is_superuser: options.superuser ? 1 : 0,
          date_joined: isoNow(),
        }),
      );
    } catch (error) {
      if (uniqueViolation(error)) return fail(`user "${normalized}" already exists`);
      throw error;
    }
  }

  async setPassword(user: UserRow, password: string): Promise<Result<UserRow>> {
    if (password.length < MIN_PASSWORD_LENGTH) return fail(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
    await this.db.stores.users.setPassword(user.id, await hashPassword(password));
    return ok(user);
  }

  /** Add a user to an organization (or change their role), optionally to a team too. */
  addMember(
    org: OrganizationRow,
    user: UserRow,
    role: OrgRole,
    team: { team: TeamRow; role: TeamRole | null } | undefined,
    actor: Actor,
  ): Promise<MemberRow> {
    return this.db.transaction(async (stores) => {
      let member = await stores.members.find(org.id, user.id);
      if (member) {
        await stores.members.setRole(member.id, role);
        member = { ...member, role };
      } else {
        member = await stores.members.insert({ organization_id: org.id, user_id: user.id, role, date_created: isoNow() });
      }
      if (team) await stores.members.joinTeam(member.id, team.team.id, team.role);
      await audit(stores, {
        organizationId: org.id,
        actor,
        event: 'member.add',
        targetObject: member.id,
        data: { email: user.email, role, team: team?.team.slug ?? null, teamRole: team?.role ?? null },
      });
      return member;
    });
  }

  /** A user auth token (Bearer). The plaintext is returned once and never stored. */
  async createUserToken(
    user: UserRow,
    scopes: Scope[],
    options: { name?: string | undefined; expiresAt?: string | undefined } = {},
  ): Promise<{ token: string; id: number }> {
    const token = generateUserToken();
    const row = await this.db.stores.credentials.insertUserToken({
      user_id: user.id,
      name: options.name ?? null,
      hashed_token: sha256Hex(token),
      token_last_characters: lastCharacters(token),
      scopes: JSON.stringify(withImpliedScopes(scopes)),
      date_created: isoNow(),
      expires_at: options.expiresAt ?? null,
    });
    return { token, id: row.id };
  }

  /** An organization auth token (`sntrys_…`, Bearer). */
  async createOrgToken(org: OrganizationRow, name: string, scopes: Scope[], actor: Actor): Promise<{ token: string; id: number }> {
    const token = generateOrgToken({ url: this.publicUrl, regionUrl: this.publicUrl, org: org.slug });
    return this.db.transaction(async (stores) => {
      const row = await stores.credentials.insertOrgToken({
        organization_id: org.id,
        name,
        token_hashed: sha256Hex(token),
        token_last_characters: lastCharacters(token),
        scopes: JSON.stringify(withImpliedScopes(scopes)),
        date_created: isoNow(),
      });
      await audit(stores, { organizationId: org.id, actor, event: 'orgauthtoken.create', targetObject: row.id, data: { name, scopes } });
      return { token, id: row.id };
    });
  }

  /** An organization API key (HTTP Basic with the key as user name, as in Sentry's examples). */
  async createApiKey(
    org: OrganizationRow,
    scopes: Scope[],
    options: { label?: string | undefined; allowedOrigins?: string[] | undefined },
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
      });
      await audit(stores, { organizationId: org.id, actor, event: 'apikey.add', targetObject: row.id, data: { label: row.label, scopes } });
      return { key, row };
    });
  }
}
