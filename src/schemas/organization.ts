/**
 * Organizations on the wire, field for field as Sentry's serializers emit them
 * (S:src/sentry/api/serializers/models/organization.py): the summary of a list, the detailed
 * organization, and the roles it lists.
 */
import { z } from 'zod';
import { boolean, char, serializer } from './drf.ts';
import { projectSummarySchema } from './project.ts';
import { teamSchema } from './team.ts';
import { pageQuery, queryParam } from './common.ts';

const organizationAvatar = z.object({
  avatarType: z.string(),
  avatarUuid: z.string().nullable(),
  avatarUrl: z.string().nullable(),
});

const onboardingTask = z.object({
  task: z.string().nullable(),
  status: z.string(),
  user: z.record(z.string(), z.unknown()).nullable(),
  completionSeen: z.string().nullable(),
  dateCompleted: z.string(),
  data: z.unknown(),
});

const organizationShape = {
  id: z.string(),
  slug: z.string(),
  status: z.object({ id: z.string(), name: z.string() }),
  name: z.string(),
  dateCreated: z.string(),
  isEarlyAdopter: z.boolean(),
  require2FA: z.boolean(),
  requireEmailVerification: z.boolean().describe('Deprecated; always false.'),
  avatar: organizationAvatar,
  allowMemberInvite: z.boolean(),
  allowMemberProjectCreation: z.boolean(),
  allowSuperuserAccess: z.boolean(),
  links: z.object({
    organizationUrl: z.string().describe("clientkeys' PUBLIC_URL."),
    regionUrl: z.string().describe("clientkeys' PUBLIC_URL: clients send every later request there."),
  }),
  hasAuthProvider: z.boolean(),
  features: z.array(z.string()).optional().describe('Only with include_feature_flags=1.'),
  extraOptions: z.record(z.string(), z.record(z.string(), z.unknown())).optional().describe('Only with include_feature_flags=1.'),
  access: z.array(z.string()).optional().describe("The caller's scopes in the organization."),
  onboardingTasks: z.array(onboardingTask).optional(),
};

export const organizationSchema = z.object(organizationShape).meta({ id: 'Organization' });
export const organizationListSchema = z.array(organizationSchema);

const baseRole = {
  id: z.string(),
  name: z.string(),
  desc: z.string(),
  scopes: z.array(z.string()),
  allowed: z.boolean(),
  isAllowed: z.boolean(),
  isRetired: z.boolean(),
  isTeamRolesAllowed: z.boolean(),
};

export const orgRoleSchema = z.object({
  ...baseRole,
  is_global: z.boolean(),
  isGlobal: z.boolean(),
  minimumTeamRole: z.string(),
});

export const teamRoleSchema = z.object({ ...baseRole, isMinimumRoleFor: z.string().nullable() });

export const detailedOrganizationSchema = z
  .object({
    ...organizationShape,
    experiments: z.record(z.string(), z.unknown()),
    quota: z.object({
      maxRate: z.number().nullable(),
      maxRateInterval: z.number(),
      accountLimit: z.number(),
      projectLimit: z.number(),
    }),
    isDefault: z.boolean(),
    defaultRole: z.string(),
    availableRoles: z.array(z.object({ id: z.string(), name: z.string() })).describe('Deprecated; see orgRoleList.'),
    orgRoleList: z.array(orgRoleSchema),
    teamRoleList: z.array(teamRoleSchema),
    openMembership: z.boolean(),
    allowSharedIssues: z.boolean(),
    enhancedPrivacy: z.boolean(),
    dataScrubber: z.boolean(),
    dataScrubberDefaults: z.boolean(),
    sensitiveFields: z.array(z.string()),
    safeFields: z.array(z.string()),
    storeCrashReports: z.number(),
    attachmentsRole: z.string(),
    debugFilesRole: z.string(),
    eventsMemberAdmin: z.boolean(),
    alertsMemberWrite: z.boolean(),
    scrubIPAddresses: z.boolean(),
    scrapeJavaScript: z.boolean(),
    allowJoinRequests: z.boolean(),
    relayPiiConfig: z.string().nullable(),
    relayDsnEndpoint: z.string().nullable().describe("The organization's Relay: every DSN URL of its keys but cdn names it."),
    codecovAccess: z.boolean(),
    hideAiFeatures: z.boolean(),
    githubPRBot: z.boolean(),
    githubOpenPRBot: z.boolean(),
    githubNudgeInvite: z.boolean(),
    genAIConsent: z.boolean(),
    aggregatedDataConsent: z.boolean(),
    issueAlertsThreadFlag: z.boolean(),
    metricAlertsThreadFlag: z.boolean(),
    rollbackEnabled: z.boolean(),
    streamlineOnly: z.boolean().nullable(),
    trustedRelays: z.array(z.record(z.string(), z.unknown())),
    requiresSso: z.boolean(),
    pendingAccessRequests: z.number().int(),
    isDynamicallySampled: z.boolean(),
    role: z.string().optional().describe("Deprecated; the caller's organization role, for members."),
    orgRole: z.string().optional().describe("The caller's organization role, for members."),
    teams: z.array(teamSchema).optional().describe('Unless detailed=0.'),
    projects: z.array(projectSummarySchema).optional().describe('Unless detailed=0.'),
  })
  .meta({ id: 'DetailedOrganization' });

export type OrganizationJson = z.output<typeof organizationSchema>;
export type DetailedOrganizationJson = z.output<typeof detailedOrganizationSchema>;
export type OrgRoleJson = z.output<typeof orgRoleSchema>;
export type TeamRoleJson = z.output<typeof teamRoleSchema>;

/** OrganizationDetailsEndpoint.put, for the fields clientkeys keeps; the others are ignored. */
export const updateOrganizationBody = serializer({
  openMembership: boolean({ description: "Members reach every team's projects (Sentry's default); false: only their own teams' projects." }).optional(),
  relayDsnEndpoint: char({
    allowBlank: true,
    allowNull: true,
    maxLength: 2048,
    description: "An absolute http(s) URL of the organization's own Relay, without credentials, query or fragment; blank or null clears it.",
  }).optional(),
}).meta({ id: 'UpdateOrganization' });

export type UpdateOrganizationBody = z.output<typeof updateOrganizationBody>;

export const organizationListQuery = z.object({
  owner: queryParam.optional().describe('"1" or "true": the organizations you own, with whether you are their only owner.'),
  query: queryParam.optional().describe('Filters: slug:, id:, status:, email:, member_id:, or text in the name or slug.'),
  sortBy: queryParam.optional().describe('"members": most members first; otherwise newest first.'),
  show: queryParam.optional().describe('"all": every organization (superusers only).'),
  ...pageQuery,
});
export type OrganizationListQuery = z.output<typeof organizationListQuery>;

export const organizationDetailQuery = z.object({
  detailed: queryParam.optional().describe('"0": without the teams and projects.'),
  include_feature_flags: queryParam.optional().describe('"1": add features and extraOptions.'),
});
export type OrganizationDetailQuery = z.output<typeof organizationDetailQuery>;

export const ownedOrganizationListSchema = z.array(z.object({ organization: organizationSchema, singleOwner: z.boolean() }));
