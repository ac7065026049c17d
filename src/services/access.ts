/**
 * What a caller may do in one organization (Sentry's `request.access`, S:src/sentry/auth/access.py):
 * the scopes they hold there, whether they reach every project (open membership, a global role,
 * an organization credential, a superuser) and the team roles that widen their scopes on the
 * projects of those teams.
 */
import {
  higherTeamRole,
  isOrgRole,
  isTeamRole,
  ORG_ROLE_DEFINITIONS,
  TEAM_ROLE_DEFINITIONS,
  type OrgRole,
  type Scope,
  type TeamRole,
} from '../domain/scopes.ts';
import type { OrganizationRow } from '../storage/schema.ts';
import type { Stores } from '../storage/stores/index.ts';
import type { AccessCache } from './access-cache.ts';
import { isSuperuser, isUserPrincipal, type Principal } from './principal.ts';

export class OrgAccess {
  constructor(
    readonly organization: OrganizationRow,
    /** Scopes held organization-wide. */
    readonly scopes: ReadonlySet<Scope>,
    /** Reaches every project of the organization without a team. */
    readonly hasGlobalAccess: boolean,
    /** Team id → the caller's effective role in it. */
    readonly teamRoles: ReadonlyMap<number, TeamRole>,
    /** The credential's own scopes: the ceiling for what team roles add. */
    private readonly ceiling: ReadonlySet<Scope>,
    readonly role: OrgRole | null,
    readonly isSuperuser: boolean,
    /** The user acting, or null for an organization credential (Sentry's AnonymousUser). */
    readonly userId: number | null = null,
  ) {}

  static none(organization: OrganizationRow, userId: number | null = null): OrgAccess {
    return new OrgAccess(organization, new Set(), false, new Map(), new Set(), null, false, userId);
  }

  hasScope(scope: Scope): boolean {
    return this.scopes.has(scope);
  }

  hasAnyScope(scopes: readonly Scope[]): boolean {
    return scopes.some((s) => this.scopes.has(s));
  }

  /** Member of one of the project's teams. */
  hasProjectMembership(projectTeamIds: readonly number[]): boolean {
    return projectTeamIds.some((id) => this.teamRoles.has(id));
  }

  hasProjectAccess(projectTeamIds: readonly number[]): boolean {
    return this.hasGlobalAccess || this.hasProjectMembership(projectTeamIds);
  }

  /** Scopes on one project: the organization's, plus those of the caller's roles in its teams. */
  projectScopes(projectTeamIds: readonly number[]): Set<Scope> {
    const scopes = new Set(this.scopes);
    for (const teamId of projectTeamIds) {
      const role = this.teamRoles.get(teamId);
      if (!role) continue;
      for (const scope of TEAM_ROLE_DEFINITIONS[role].scopes) if (this.ceiling.has(scope)) scopes.add(scope);
    }
    return scopes;
  }

  hasTeamMembership(teamId: number): boolean {
    return this.teamRoles.has(teamId);
  }

  /** Sentry's `has_team_scope`: a scope the caller's role in that team grants, within their credential. */
  hasTeamScope(teamId: number, scopes: readonly Scope[]): boolean {
    const role = this.teamRoles.get(teamId);
    if (!role) return false;
    const granted = TEAM_ROLE_DEFINITIONS[role].scopes;
    return scopes.some((s) => granted.includes(s) && this.ceiling.has(s));
  }

  /** Sentry's `has_any_project_scope`: needs access to the project first. */
  hasAnyProjectScope(projectTeamIds: readonly number[], scopes: readonly Scope[]): boolean {
    if (!this.hasProjectAccess(projectTeamIds)) return false;
    const held = this.projectScopes(projectTeamIds);
    return scopes.some((s) => held.has(s));
  }
}

export class AccessService {
  constructor(
    private readonly stores: Stores,
    private readonly cache: AccessCache,
  ) {}

  async forOrganization(principal: Principal, organization: OrganizationRow): Promise<OrgAccess> {
    const ceiling = new Set(principal.scopes);
    if (!isUserPrincipal(principal)) {
      // Organization credentials act organization-wide, with their own scopes, in their own org only.
      if (principal.organizationId !== organization.id) return OrgAccess.none(organization);
      return new OrgAccess(organization, ceiling, true, new Map(), ceiling, null, false);
    }
    const userId = principal.user.id;
    // A membership that is not there is kept too (null): a member added on this instance clears it
    // with its commit, on others with the `access` change the organization service publishes.
    const member = await this.cache.get(
      `member:${organization.id}:${userId}`,
      async () => (await this.stores.members.find(organization.id, userId)) ?? null,
      () => true,
    );
    const superuser = isSuperuser(principal);
    if (!member) {
      return superuser
        ? new OrgAccess(organization, ceiling, true, new Map(), ceiling, null, true, userId)
        : OrgAccess.none(organization, userId);
    }
    const role: OrgRole = isOrgRole(member.role) ? member.role : 'member';
    const definition = ORG_ROLE_DEFINITIONS[role];
    const scopes = superuser ? ceiling : new Set(definition.scopes.filter((s) => ceiling.has(s)));
    const teamRoles = new Map<number, TeamRole>();
    for (const membership of await this.cache.get(`member-teams:${member.id}`, () => this.stores.members.teams(member.id))) {
      const own: TeamRole = membership.role && isTeamRole(membership.role) ? membership.role : 'contributor';
      teamRoles.set(membership.teamId, higherTeamRole(own, definition.minimumTeamRole));
    }
    const globalAccess = superuser || definition.isGlobal || organization.open_membership === 1;
    return new OrgAccess(organization, scopes, globalAccess, teamRoles, ceiling, role, superuser, userId);
  }
}
