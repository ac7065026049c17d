/**
 * Organizations, their teams and their members: what an operator sets up before any client key
 * exists. Failures come back as values with a readable message.
 */
import type { OrgRole, TeamRole } from '../domain/scopes.ts';
import {
  MIXED_SLUG_PATTERN,
  ORG_SLUG_ERROR,
  ORG_SLUG_MAX_LENGTH,
  ORG_SLUG_PATTERN,
  RESERVED_ORGANIZATION_SLUGS,
  SLUG_ERROR,
} from '../domain/slugs.ts';
import { isoNow } from '../domain/time.ts';
import type { Database } from '../storage/database.ts';
import { uniqueViolation } from '../storage/errors.ts';
import type { MemberRow, OrganizationRow, TeamRow, UserRow } from '../storage/schema.ts';
import { audit } from './audit.ts';
import type { Actor } from './principal.ts';
import { fail, ok, type Result } from './result.ts';

export class OrganizationService {
  constructor(private readonly db: Database) {}

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

  /** Add a user to an organization (or change their role), optionally to a team too. */
  addMember(
    org: OrganizationRow,
    user: UserRow,
    role: OrgRole,
    team: { team: TeamRow; role: TeamRole | null } | undefined,
    actor: Actor,
  ): Promise<MemberRow> {
    return this.db.transaction(async (stores) => {
      const existing = await stores.members.find(org.id, user.id);
      let member: MemberRow;
      if (existing) {
        await stores.members.setRole(existing.id, role);
        member = { ...existing, role };
      } else {
        member = await stores.members.insert({ organization_id: org.id, user_id: user.id, role, date_created: isoNow() });
      }
      if (team) await stores.members.joinTeam(member.id, team.team.id, team.role);
      await audit(stores, {
        organizationId: org.id,
        actor,
        event: existing ? 'member.edit' : 'member.add',
        targetObject: member.id,
        data: {
          email: user.email,
          role,
          ...(existing ? { prev_role: existing.role } : {}),
          team: team?.team.slug ?? null,
          teamRole: team?.role ?? null,
        },
      });
      return member;
    });
  }
}
