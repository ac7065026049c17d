/**
 * Sentry's scopes and default roles (S:src/sentry/conf/server.py SENTRY_SCOPES, SENTRY_ROLES,
 * SENTRY_TEAM_ROLES, SENTRY_SCOPE_HIERARCHY_MAPPING).
 */

export const SCOPES = [
  'org:read', 'org:write', 'org:admin', 'org:integrations', 'org:ci',
  'member:invite', 'member:read', 'member:write', 'member:admin',
  'team:read', 'team:write', 'team:admin',
  'project:read', 'project:write', 'project:admin', 'project:releases',
  'event:read', 'event:write', 'event:admin',
  'alerts:read', 'alerts:write',
  'openid', 'profile', 'email',
] as const;

export type Scope = (typeof SCOPES)[number];

const SCOPE_SET: ReadonlySet<string> = new Set(SCOPES);

export function isScope(value: string): value is Scope {
  return SCOPE_SET.has(value);
}

/** What holding a scope implies (admin ⊃ write ⊃ read). */
const HIERARCHY: Readonly<Partial<Record<Scope, readonly Scope[]>>> = {
  'org:write': ['org:read'],
  'org:admin': ['org:read', 'org:write', 'org:integrations'],
  'member:invite': ['member:read'],
  'member:write': ['member:read', 'member:invite'],
  'member:admin': ['member:read', 'member:invite', 'member:write'],
  'team:write': ['team:read'],
  'team:admin': ['team:read', 'team:write'],
  'project:write': ['project:read'],
  'project:admin': ['project:read', 'project:write'],
  'event:write': ['event:read'],
  'event:admin': ['event:read', 'event:write'],
  'alerts:write': ['alerts:read'],
};

/** Sentry's add_scope_hierarchy: the scopes plus everything they imply, sorted. */
export function withImpliedScopes(scopes: Iterable<Scope>): Scope[] {
  const all = new Set<Scope>();
  for (const scope of scopes) {
    all.add(scope);
    for (const implied of HIERARCHY[scope] ?? []) all.add(implied);
  }
  return [...all].sort();
}

export const ORG_ROLES = ['member', 'admin', 'manager', 'owner'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

export const TEAM_ROLES = ['contributor', 'admin'] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];

interface OrgRoleDefinition {
  name: string;
  /** SENTRY_ROLES' `desc`, its whitespace collapsed to single spaces. */
  desc: string;
  isGlobal: boolean;
  /** Kept for existing members, offered to no one new. */
  isRetired: boolean;
  /** The team role a member of this org role holds at least, on every team they are in. */
  minimumTeamRole: TeamRole;
  scopes: readonly Scope[];
}

export const ORG_ROLE_DEFINITIONS: Readonly<Record<OrgRole, OrgRoleDefinition>> = {
  member: {
    name: 'Member',
    desc: 'Members can view and act on events, as well as view most other data within the organization. By default, they can invite members to the organization unless the organization has disabled this feature.',
    isRetired: false,
    isGlobal: false,
    minimumTeamRole: 'contributor',
    scopes: [
      'event:read', 'event:write', 'event:admin', 'project:releases', 'project:read', 'org:read',
      'member:invite', 'member:read', 'team:read', 'alerts:read', 'alerts:write',
    ],
  },
  admin: {
    name: 'Admin',
    desc: "Admin privileges on any teams of which they're a member. They can create new teams and projects, as well as remove teams and projects on which they already hold membership (or all teams, if open membership is enabled). Additionally, they can manage memberships of teams that they are members of. By default, they can invite members to the organization unless the organization has disabled this feature.",
    isRetired: true,
    isGlobal: false,
    minimumTeamRole: 'admin',
    scopes: [
      'event:read', 'event:write', 'event:admin', 'org:read', 'member:read', 'member:invite',
      'project:read', 'project:write', 'project:admin', 'project:releases', 'team:read', 'team:write',
      'team:admin', 'org:integrations', 'alerts:read', 'alerts:write',
    ],
  },
  manager: {
    name: 'Manager',
    desc: 'Gains admin access on all teams as well as the ability to add and remove members.',
    isRetired: false,
    isGlobal: true,
    minimumTeamRole: 'admin',
    scopes: [
      'event:read', 'event:write', 'event:admin', 'member:invite', 'member:read', 'member:write',
      'member:admin', 'project:read', 'project:write', 'project:admin', 'project:releases', 'team:read',
      'team:write', 'team:admin', 'org:read', 'org:write', 'org:integrations', 'alerts:read', 'alerts:write',
    ],
  },
  owner: {
    name: 'Owner',
    desc: 'Unrestricted access to the organization, its data, and its settings. Can add, modify, and delete projects and members, as well as make billing and plan changes.',
    isRetired: false,
    isGlobal: true,
    minimumTeamRole: 'admin',
    scopes: [
      'org:read', 'org:write', 'org:admin', 'org:integrations', 'member:invite', 'member:read',
      'member:write', 'member:admin', 'team:read', 'team:write', 'team:admin', 'project:read',
      'project:write', 'project:admin', 'project:releases', 'event:read', 'event:write', 'event:admin',
      'alerts:read', 'alerts:write',
    ],
  },
};

interface TeamRoleDefinition {
  name: string;
  desc: string;
  /** The org role whose members hold this team role at least (`is_minimum_role_for`). */
  isMinimumRoleFor: OrgRole | null;
  scopes: readonly Scope[];
}

export const TEAM_ROLE_DEFINITIONS: Readonly<Record<TeamRole, TeamRoleDefinition>> = {
  contributor: {
    name: 'Contributor',
    desc: "Contributors can view and act on events, as well as view most other data within the team's projects.",
    isMinimumRoleFor: null,
    scopes: ['event:read', 'event:write', 'project:releases', 'project:read', 'org:read', 'member:read', 'team:read', 'alerts:read'],
  },
  admin: {
    name: 'Team Admin',
    desc: "Admin privileges on the team. They can create and remove projects, and can manage the team's memberships.",
    isMinimumRoleFor: 'admin',
    scopes: [
      'event:read', 'event:write', 'event:admin', 'org:read', 'member:read', 'project:read', 'project:write',
      'project:admin', 'project:releases', 'team:read', 'team:write', 'team:admin', 'org:integrations',
      'alerts:read', 'alerts:write',
    ],
  },
};

export function isOrgRole(value: string): value is OrgRole {
  return (ORG_ROLES as readonly string[]).includes(value);
}

export function isTeamRole(value: string): value is TeamRole {
  return (TEAM_ROLES as readonly string[]).includes(value);
}

/** The higher of two team roles (a member's own team role is raised to their org role's minimum). */
export function higherTeamRole(a: TeamRole, b: TeamRole): TeamRole {
  return TEAM_ROLES.indexOf(a) >= TEAM_ROLES.indexOf(b) ? a : b;
}

/**
 * Parse a comma-separated scope list as the CLI receives it. Unknown scopes are an error
 * (Sentry's `validate_scope_list`: "<scope> is not a valid scope.").
 */
export function parseScopeList(text: string): { ok: true; scopes: Scope[] } | { ok: false; error: string } {
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) return { ok: false, error: 'at least one scope is required' };
  for (const part of parts) {
    if (!isScope(part)) return { ok: false, error: `${part} is not a valid scope.` };
  }
  return { ok: true, scopes: [...new Set(parts as Scope[])] };
}
