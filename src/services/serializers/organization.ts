/**
 * Sentry's organization serializers (S:src/sentry/api/serializers/models/organization.py):
 * OrganizationSerializer for lists, DetailedOrganizationSerializer (with its projects and teams
 * unless `detailed=0`) for one organization. Settings clientkeys does not have are at Sentry's
 * defaults; `links` point at clientkeys itself, because clients send every later request there.
 */
import { RELAY_DSN_ENDPOINT_OPTION } from '../../domain/relay-dsn-endpoint.ts';
import { ORG_ROLE_DEFINITIONS, ORG_ROLES, TEAM_ROLE_DEFINITIONS, TEAM_ROLES } from '../../domain/scopes.ts';
import type { DetailedOrganizationJson, OrganizationJson, OrgRoleJson, TeamRoleJson } from '../../schemas/organization.ts';
import type { OrganizationRow } from '../../storage/schema.ts';
import type { Stores } from '../../storage/stores/index.ts';
import type { OrgAccess } from '../access.ts';
import { ProjectSerializer } from './project.ts';
import { TeamSerializer } from './team.ts';
import { viewerOf } from './viewer.ts';

const STATUSES: Readonly<Record<number, { id: string; name: string }>> = {
  0: { id: 'active', name: 'active' },
  1: { id: 'pending_deletion', name: 'pending deletion' },
  2: { id: 'deletion_in_progress', name: 'deletion in progress' },
};

/** The fields Sentry's organization and team role serializers share, in their order. */
function roleBase(id: string, role: { name: string; desc: string; scopes: Iterable<string> }) {
  return {
    id,
    name: role.name,
    desc: role.desc,
    scopes: [...role.scopes].sort(),
    allowed: false,
    isAllowed: false,
    isRetired: false,
    isTeamRolesAllowed: true,
  };
}

/** OrganizationRoleSerializer over SENTRY_ROLES, in their order. */
export function orgRoleList(): OrgRoleJson[] {
  return ORG_ROLES.map((id) => {
    const role = ORG_ROLE_DEFINITIONS[id];
    return { ...roleBase(id, role), is_global: role.isGlobal, isGlobal: role.isGlobal, minimumTeamRole: role.minimumTeamRole };
  });
}

/** TeamRoleSerializer over SENTRY_TEAM_ROLES. */
export function teamRoleList(): TeamRoleJson[] {
  return TEAM_ROLES.map((id) => {
    const role = TEAM_ROLE_DEFINITIONS[id];
    return { ...roleBase(id, role), isMinimumRoleFor: role.isMinimumRoleFor };
  });
}

export interface OrganizationOptions {
  /** `include_feature_flags`: adds `features` and `extraOptions`. */
  featureFlags: boolean;
  /** Adds `access` and `onboardingTasks` (Sentry passes `access` when it has a request's access). */
  access?: OrgAccess;
}

export class OrganizationSerializer {
  constructor(
    private readonly stores: Stores,
    private readonly publicUrl: string,
  ) {}

  async serialize(org: OrganizationRow, options: OrganizationOptions): Promise<OrganizationJson> {
    const json: OrganizationJson = {
      id: String(org.id),
      slug: org.slug,
      status: STATUSES[org.status] ?? { id: 'unknown', name: 'unknown' },
      name: org.name || org.slug,
      dateCreated: org.date_created,
      isEarlyAdopter: false,
      require2FA: false,
      requireEmailVerification: false,
      avatar: { avatarType: 'letter_avatar', avatarUuid: null, avatarUrl: null },
      allowMemberInvite: true,
      allowMemberProjectCreation: true,
      allowSuperuserAccess: true,
      // No per-organization subdomains and one region: both are clientkeys' own URL.
      links: { organizationUrl: this.publicUrl, regionUrl: this.publicUrl },
      hasAuthProvider: false,
    };
    if (options.featureFlags) {
      json.features = await this.features(org);
      json.extraOptions = { traces: { spansExtractionDate: null, checkSpanExtractionDate: null } };
    }
    if (options.access) {
      json.access = [...options.access.scopes].sort();
      json.onboardingTasks = [];
    }
    return json;
  }

  async detailed(org: OrganizationRow, access: OrgAccess, options: { featureFlags: boolean; projectsAndTeams: boolean }): Promise<DetailedOrganizationJson> {
    const base = await this.serialize(org, { featureFlags: options.featureFlags, access });
    const json: DetailedOrganizationJson = {
      ...base,
      experiments: {},
      quota: { maxRate: null, maxRateInterval: 60, accountLimit: 0, projectLimit: 100 },
      isDefault: false,
      defaultRole: 'member',
      availableRoles: ORG_ROLES.map((id) => ({ id, name: ORG_ROLE_DEFINITIONS[id].name })),
      orgRoleList: orgRoleList(),
      teamRoleList: teamRoleList(),
      openMembership: org.open_membership === 1,
      allowSharedIssues: true,
      enhancedPrivacy: false,
      dataScrubber: false,
      dataScrubberDefaults: false,
      sensitiveFields: [],
      safeFields: [],
      storeCrashReports: 0,
      attachmentsRole: 'member',
      debugFilesRole: 'admin',
      eventsMemberAdmin: true,
      alertsMemberWrite: true,
      scrubIPAddresses: false,
      scrapeJavaScript: true,
      allowJoinRequests: true,
      relayPiiConfig: null,
      relayDsnEndpoint: ((await this.stores.organizationOptions.get(org.id, RELAY_DSN_ENDPOINT_OPTION)) as string | undefined) ?? null,
      codecovAccess: false,
      hideAiFeatures: false,
      githubPRBot: true,
      githubOpenPRBot: true,
      githubNudgeInvite: true,
      genAIConsent: false,
      aggregatedDataConsent: false,
      issueAlertsThreadFlag: true,
      metricAlertsThreadFlag: true,
      rollbackEnabled: true,
      streamlineOnly: null,
      trustedRelays: [],
      requiresSso: false,
      pendingAccessRequests: 0,
      isDynamicallySampled: false,
    };
    if (access.role !== null) {
      json.role = access.role;
      json.orgRole = access.role;
    }
    if (options.projectsAndTeams) {
      const viewer = viewerOf(access);
      json.teams = await new TeamSerializer(this.stores).serialize(await this.stores.teams.list(org.id), viewer);
      json.projects = await new ProjectSerializer(this.stores).summary(await this.stores.projects.list(org.id), viewer, {
        latestDeploys: true,
      });
    }
    return json;
  }

  /** The organization flags Sentry reports as features (no `organizations:*` flag is on here). */
  private async features(org: OrganizationRow): Promise<string[]> {
    const features = ['shared-issues'];
    if (org.open_membership === 1) features.push('open-membership');
    if (await this.stores.credentials.hasApiKey(org.id)) features.push('api-keys');
    return features.sort();
  }
}
