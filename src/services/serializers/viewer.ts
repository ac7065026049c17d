/**
 * Who a serializer describes things for. Sentry's team and project serializers compute
 * `isMember`, `hasAccess` and `access` from the requesting *user* (not from the token's scopes),
 * and treat an organization credential as an anonymous user: no membership, access only through
 * open membership.
 */
import {
  higherTeamRole,
  ORG_ROLE_DEFINITIONS,
  TEAM_ROLE_DEFINITIONS,
  type OrgRole,
  type Scope,
  type TeamRole,
} from '../../domain/scopes.ts';
import type { OrgAccess } from '../access.ts';

export interface Viewer {
  userId: number | null;
  isSuperuser: boolean;
  orgRole: OrgRole | null;
  /** Team id → the viewer's effective role there. */
  teamRoles: ReadonlyMap<number, TeamRole>;
  openMembership: boolean;
}

export function viewerOf(access: OrgAccess): Viewer {
  return {
    userId: access.userId,
    isSuperuser: access.isSuperuser,
    orgRole: access.role,
    teamRoles: access.teamRoles,
    openMembership: access.organization.open_membership === 1,
  };
}

/** The org role whose minimum team role applies: a superuser counts as the top role. */
function topRole(viewer: Viewer): OrgRole | null {
  return viewer.isSuperuser ? 'owner' : viewer.orgRole;
}

function hasAccessWithoutMembership(viewer: Viewer): boolean {
  const role = viewer.orgRole;
  return viewer.isSuperuser || viewer.openMembership || (role !== null && ORG_ROLE_DEFINITIONS[role].isGlobal);
}

const sorted = (scopes: Iterable<Scope>) => [...new Set(scopes)].sort();

/** BaseTeamSerializer.get_attrs for one team. */
export function teamAccess(viewer: Viewer, teamId: number): { isMember: boolean; hasAccess: boolean; teamRole: TeamRole | null; access: Scope[] } {
  const own = viewer.teamRoles.get(teamId);
  const isMember = own !== undefined;
  const hasAccess = isMember || hasAccessWithoutMembership(viewer);
  if (!hasAccess) return { isMember, hasAccess, teamRole: null, access: [] };
  let effective: TeamRole = own ?? 'contributor';
  const role = topRole(viewer);
  if (role) effective = higherTeamRole(effective, ORG_ROLE_DEFINITIONS[role].minimumTeamRole);
  return { isMember, hasAccess, teamRole: isMember ? effective : null, access: sorted(TEAM_ROLE_DEFINITIONS[effective].scopes) };
}

/** `get_access_by_project` for one project, given its team ids. */
export function projectAccess(viewer: Viewer, teamIds: readonly number[]): { isMember: boolean; hasAccess: boolean; access: Scope[] } {
  const memberRoles = teamIds.map((id) => viewer.teamRoles.get(id)).filter((r): r is TeamRole => r !== undefined);
  const isMember = memberRoles.length > 0;
  const hasAccess = isMember || hasAccessWithoutMembership(viewer);
  if (!hasAccess) return { isMember, hasAccess, access: [] };
  const scopes: Scope[] = memberRoles.flatMap((r) => TEAM_ROLE_DEFINITIONS[r].scopes);
  const role = topRole(viewer);
  if (role) scopes.push(...TEAM_ROLE_DEFINITIONS[ORG_ROLE_DEFINITIONS[role].minimumTeamRole].scopes);
  return { isMember, hasAccess, access: sorted(scopes) };
}
