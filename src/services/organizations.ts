/**
 * Organizations, their teams and their members: what an operator sets up before any client key
 * exists. Failures come back as values with a readable message.
 */
import { offsetPaginate, paginate, type Cursor, type PageResult } from '../domain/paginator.ts';
import type { OrgRole, TeamRole } from '../domain/scopes.ts';
import {
  MIXED_SLUG_PATTERN,
  ORG_SLUG_ERROR,
  ORG_SLUG_MAX_LENGTH,
  ORG_SLUG_PATTERN,
  RESERVED_ORGANIZATION_SLUGS,
  SLUG_ERROR,
  slugCandidates,
  TEAM_SLUG_MAX_LENGTH,
} from '../domain/slugs.ts';
import { isoMicros, isoNow } from '../domain/time.ts';
import type { ChangeBus } from '../changes/bus.ts';
import type { Database } from '../storage/database.ts';
import { uniqueViolation } from '../storage/errors.ts';
import type { MemberRow, OrganizationRow, TeamRow, UserRow } from '../storage/schema.ts';
import type { Stores } from '../storage/stores/index.ts';
import type { OrganizationFilter } from '../storage/stores/organizations.ts';
import type { TeamFilter } from '../storage/stores/teams.ts';
import { parseRelayDsnEndpoint, RELAY_DSN_ENDPOINT_OPTION } from '../domain/relay-dsn-endpoint.ts';
import type { AccessCache } from './access-cache.ts';
import { audit } from './audit.ts';
import { loadDsnSettings, type DsnSettings } from './serializers/project-key.ts';
import type { Actor } from './principal.ts';
import { fail, ok, type Result } from './result.ts';

export interface PageRequest {
  cursor: Cursor | undefined;
  limit: number;
}

export interface NewTeam {
  /** Derived from the name (and made unique) when absent. */
  slug?: string | null | undefined;
  name?: string | null | undefined;
  /** The user creating it joins it, as Sentry adds the creator when they are a member. */
  creatorUserId?: number | null;
}

export type AddTeamResult = { ok: true; team: TeamRow } | { ok: false; reason: 'slug_taken' | 'invalid_slug' };

/** Timestamps as Sentry's DateTimePaginator keys them: milliseconds since the epoch. */
function dateKey(iso: string): number {
  const [whole = '', fraction = ''] = iso.replace(/Z$/, '').split('.');
  return Date.parse(`${whole}Z`) + Number(`0.${fraction || '0'}`) * 1000;
}

export class OrganizationService {
  constructor(
    private readonly db: Database,
    private readonly changes: ChangeBus,
    private readonly cache: AccessCache,
  ) {}

  /** Other instances drop what they hold of who may do what here (access-cache.ts). */
  private accessChanged(): Promise<void> {
    return this.changes.publish({ type: 'access' });
  }

  /** What the URLs of the organization's keys depend on (its Relay DSN endpoint). */
  dsnSettings(organizationId: number): Promise<DsnSettings> {
    return this.cache.get(`dsn-settings:${organizationId}`, () => loadDsnSettings(this.db.stores, organizationId));
  }

  /**
   * OrganizationDetailsEndpoint.put's `relayDsnEndpoint`: set (or with blank/null, clear) the
   * organization's Relay DSN endpoint, audited as Sentry's ORG_OPTIONS changes are.
   */
  async setRelayDsnEndpoint(org: OrganizationRow, value: string | null, actor: Actor): Promise<Result<string | null>> {
    const parsed = parseRelayDsnEndpoint(value);
    if (!parsed.ok) return fail(parsed.error);
    await this.db.transaction(async (stores) => {
      const before = await stores.organizationOptions.get(org.id, RELAY_DSN_ENDPOINT_OPTION);
      if (parsed.value === null) await stores.organizationOptions.delete(org.id, RELAY_DSN_ENDPOINT_OPTION);
      else await stores.organizationOptions.set(org.id, RELAY_DSN_ENDPOINT_OPTION, parsed.value);
      if ((before ?? null) !== parsed.value) {
        await audit(stores, {
          organizationId: org.id,
          actor,
          event: 'org.edit',
          targetObject: org.id,
          data: { [RELAY_DSN_ENDPOINT_OPTION]: parsed.value, [`old_${RELAY_DSN_ENDPOINT_OPTION}`]: before ?? null },
        });
      }
    });
    // Every instance's key answers name the new endpoint (their DSN settings are cached).
    await this.accessChanged();
    return ok(parsed.value);
  }

  /**
   * OrganizationDetailsEndpoint.put's `openMembership`: with it on (Sentry's default), every member
   * reaches every team's projects; with it off, members reach only their own teams' projects (and
   * admins, managers and owners, whose roles are global, all of them).
   */
  async setOpenMembership(org: OrganizationRow, open: boolean, actor: Actor): Promise<OrganizationRow> {
    if ((org.open_membership === 1) === open) return org;
    const updated = await this.db.transaction(async (stores) => {
      const row = await stores.organizations.update(org.id, { open_membership: open ? 1 : 0 });
      await audit(stores, { organizationId: org.id, actor, event: 'org.edit', targetObject: org.id, data: { openMembership: open, old_openMembership: !open } });
      return row;
    });
    await this.accessChanged();
    return updated;
  }

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

  /** The CLI's `team create`: an explicit slug, errors as messages. */
  async createTeam(org: OrganizationRow, slug: string, name: string | undefined, actor: Actor): Promise<Result<TeamRow>> {
    const result = await this.addTeam(org, { slug, name }, actor);
    if (result.ok) return ok(result.team);
    return fail(result.reason === 'invalid_slug' ? `invalid team slug "${slug}": ${SLUG_ERROR}` : `team "${org.slug}/${slug}" already exists`);
  }

  /**
   * A team, as `POST /organizations/{org}/teams/` makes it (S:src/sentry/core/endpoints/
   * organization_teams.py): the name defaults to the slug, the slug is derived from the name when
   * absent, the creator joins it; an explicit slug already in use is refused.
   */
  async addTeam(org: OrganizationRow, input: NewTeam, actor: Actor): Promise<AddTeamResult> {
    const explicit = input.slug || undefined;
    if (explicit !== undefined && (!MIXED_SLUG_PATTERN.test(explicit) || explicit.length > TEAM_SLUG_MAX_LENGTH)) {
      return { ok: false, reason: 'invalid_slug' };
    }
    const name = input.name?.trim() || explicit || '';
    try {
      const team = await this.db.transaction(async (stores) => {
        const slug = explicit ?? (await this.uniqueTeamSlug(stores, org.id, name));
        if (slug === undefined) return undefined;
        const team = await stores.teams.insert({ organization_id: org.id, slug, name: name || slug, date_created: isoNow() });
        await audit(stores, { organizationId: org.id, actor, event: 'team.create', targetObject: team.id, data: { slug, name: team.name } });
        if (input.creatorUserId != null) {
          const member = await stores.members.find(org.id, input.creatorUserId);
          if (member) await stores.members.joinTeam(member.id, team.id, null);
        }
        return team;
      });
      if (team && input.creatorUserId != null) await this.accessChanged();
      return team ? { ok: true, team } : { ok: false, reason: 'slug_taken' };
    } catch (error) {
      if (uniqueViolation(error)) return { ok: false, reason: 'slug_taken' };
      throw error;
    }
  }

  private async uniqueTeamSlug(stores: Stores, organizationId: number, name: string): Promise<string | undefined> {
    for (const candidate of slugCandidates(name, new Set(), TEAM_SLUG_MAX_LENGTH)) {
      if (!(await stores.teams.slugTaken(organizationId, candidate))) return candidate;
    }
    return undefined;
  }

  /** Organizations newest first, paged by creation date (Sentry's DateTimePaginator). */
  listOrganizations(filter: OrganizationFilter, page: PageRequest): Promise<PageResult<OrganizationRow>> {
    return paginate({
      cursor: page.cursor,
      limit: page.limit,
      descending: true,
      key: (row) => dateKey(row.date_created),
      fetch: ({ bound, ascending, offset, limit }) =>
        this.db.stores.organizations.page(filter, {
          ...(bound !== undefined ? { bound: isoMicros(BigInt(Math.round(bound)) * 1000n) } : {}),
          ascending,
          offset,
          limit,
        }),
    });
  }

  /** `sortBy=members`: most members first (OffsetPaginator). */
  listOrganizationsByMembers(filter: OrganizationFilter, page: PageRequest): Promise<PageResult<OrganizationRow>> {
    return offsetPaginate({ cursor: page.cursor, limit: page.limit, fetch: (request) => this.db.stores.organizations.pageByMembers(filter, request) });
  }

  /** `owner=1`: the organizations a user owns, and whether they are the only owner. */
  async owned(userId: number): Promise<{ organization: OrganizationRow; singleOwner: boolean }[]> {
    const rows = await this.db.stores.organizations.ownedBy(userId);
    return rows.map((r) => ({ organization: r.organization, singleOwner: r.owners === 1 }));
  }

  /** An organization's active teams by slug (OffsetPaginator). */
  listTeams(org: OrganizationRow, filter: TeamFilter, page: PageRequest): Promise<PageResult<TeamRow>> {
    return offsetPaginate({ cursor: page.cursor, limit: page.limit, fetch: (request) => this.db.stores.teams.page(org.id, filter, request) });
  }

  /** Add a user to an organization (or change their role), optionally to a team too. */
  async addMember(
    org: OrganizationRow,
    user: UserRow,
    role: OrgRole,
    team: { team: TeamRow; role: TeamRole | null } | undefined,
    actor: Actor,
  ): Promise<MemberRow> {
    const added = await this.db.transaction(async (stores) => {
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
    await this.accessChanged();
    return added;
  }
}
