/**
 * Projects on the wire, in the three shapes Sentry's serializers give them
 * (S:src/sentry/api/serializers/models/project.py): ProjectSerializer (a team's projects),
 * ProjectSummarySerializer (lists and the created project) and DetailedProjectSerializer (one
 * project); and the bodies that create and update one.
 */
import { z } from 'zod';
import { isAcceptableOrigin } from '../domain/origins.ts';
import { CONSOLE_PLATFORMS, isValidPlatform } from '../domain/platforms.ts';
import { MIXED_SLUG_PATTERN, PROJECT_SLUG_MAX_LENGTH, RESERVED_PROJECT_SLUGS, SLUG_ERROR } from '../domain/slugs.ts';
import { effectiveRateLimit, MAX_POSITIVE_INT, MAX_RATE_LIMIT_WINDOW } from '../domain/keys.ts';
import { boolean, char, integer, list, serializer } from './drf.ts';
import type { KeyDefaults } from '../domain/key-defaults.ts';
import { keyPolicyFields, keyQuotaSchema, policyInput } from './project-key.ts';
import { pageQuery, queryParam, repeated } from './common.ts';

const insightFlags = {
  hasInsightsHttp: z.boolean(),
  hasInsightsDb: z.boolean(),
  hasInsightsAssets: z.boolean(),
  hasInsightsAppStart: z.boolean(),
  hasInsightsScreenLoad: z.boolean(),
  hasInsightsVitals: z.boolean(),
  hasInsightsCaches: z.boolean(),
  hasInsightsQueues: z.boolean(),
  hasInsightsAgentMonitoring: z.boolean(),
  hasInsightsMCP: z.boolean(),
  hasLogs: z.boolean(),
  hasTraceMetrics: z.boolean(),
};

/** ProjectSerializerBaseResponse, in Sentry's field order. */
const baseShape = {
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  platform: z.string().nullable(),
  dateCreated: z.string(),
  isBookmarked: z.boolean(),
  isMember: z.boolean(),
  features: z.array(z.string()),
  firstEvent: z.string().nullable(),
  firstTransactionEvent: z.boolean(),
  access: z.array(z.string()).describe("The caller's scopes on the project, from their team roles."),
  hasAccess: z.boolean(),
  hasMinifiedStackTrace: z.boolean(),
  hasMonitors: z.boolean(),
  hasProfiles: z.boolean(),
  hasReplays: z.boolean(),
  hasFeedbacks: z.boolean(),
  hasFlags: z.boolean(),
  hasNewFeedbacks: z.boolean(),
  hasSessions: z.boolean(),
  ...insightFlags,
};

const projectOnlyShape = {
  isInternal: z.boolean(),
  isPublic: z.boolean(),
  avatar: z.object({ avatarType: z.string(), avatarUuid: z.string().nullable() }),
  color: z.string(),
  status: z.string(),
};

export const projectSchema = z.object({ ...baseShape, ...projectOnlyShape }).meta({ id: 'Project' });

const teamRef = z.object({ id: z.string(), slug: z.string(), name: z.string() });

export const projectSummarySchema = z
  .object({
    team: teamRef.nullable().describe('The first team, or null.'),
    teams: z.array(teamRef),
    ...baseShape,
    environments: z.array(z.string()),
    eventProcessing: z.object({ symbolicationDegraded: z.boolean() }),
    platforms: z.array(z.string()),
    latestRelease: z.object({ version: z.string() }).nullable(),
    hasUserReports: z.boolean(),
    latestDeploys: z.record(z.string(), z.record(z.string(), z.string())).nullable().optional().describe('Absent with collapse=latestDeploys.'),
  })
  .meta({ id: 'ProjectSummary' });

export const projectSummaryListSchema = z.array(projectSummarySchema);

export const keyDefaultsSchema = z
  .object({
    rateLimit: z.object({ count: z.number().int(), window: z.number().int() }).nullable(),
    quotas: z.array(keyQuotaSchema),
    allowedIps: z.array(z.string()),
    deniedIps: z.array(z.string()),
    allowedOrigins: z.array(z.string()),
    requireOrigin: z.boolean(),
    serverOnly: z.boolean(),
  })
  .meta({ id: 'KeyDefaultsAnswer' });

export const upstreamRefSchema = z
  .object({
    host: z.string().describe('host[:port] of the backend DSN.'),
    projectId: z.string().describe("The backend's project id."),
  })
  .meta({ id: 'UpstreamRef' });

/** `GET /projects/{org}/{project}/upstream/`: delivery to the project's backend. */
export const upstreamStateSchema = z
  .object({
    upstream: upstreamRefSchema.nullable(),
    delivered: z.number().int().describe('Requests the backend took (2xx).'),
    retrying: z.number().int().describe('Queued requests that failed at least once (5xx, network) and wait for another attempt.'),
    refused: z.number().int().describe('Requests the backend refused with a 4xx other than 429: dropped, not retried.'),
    rateLimited: z.number().int().describe('Requests the backend refused with 429: dropped, as Relay drops them; its limits apply at the gate until they expire.'),
    queued: z.number().int().describe('Requests waiting for the backend.'),
    oldestQueued: z.string().nullable().describe('When the oldest waiting request was accepted.'),
    lastDelivered: z.string().nullable(),
    lastError: z
      .object({ status: z.number().int().nullable().describe('The backend\'s status, or null for a network error.'), reason: z.string(), at: z.string() })
      .nullable()
      .describe("The backend's last refusal or failure."),
  })
  .meta({ id: 'UpstreamState' });

export type UpstreamStateJson = z.output<typeof upstreamStateSchema>;

export const detailedProjectSchema = z
  .object({
    ...baseShape,
    ...projectOnlyShape,
    team: teamRef.optional().describe('The first team; absent when the project has none.'),
    teams: z.array(teamRef),
    latestRelease: z.object({ version: z.string() }).nullable(),
    options: z.record(z.string(), z.unknown()),
    digestsMinDelay: z.number().int(),
    digestsMaxDelay: z.number().int(),
    subjectPrefix: z.string(),
    allowedDomains: z.array(z.string()),
    resolveAge: z.number().int(),
    dataScrubber: z.boolean(),
    dataScrubberDefaults: z.boolean(),
    safeFields: z.array(z.string()),
    storeCrashReports: z.number().int().nullable(),
    sensitiveFields: z.array(z.string()),
    subjectTemplate: z.string(),
    securityToken: z.string(),
    securityTokenHeader: z.string().nullable(),
    verifySSL: z.boolean(),
    scrubIPAddresses: z.boolean(),
    scrapeJavaScript: z.boolean(),
    highlightTags: z.array(z.string()),
    highlightContext: z.record(z.string(), z.array(z.string())),
    highlightPreset: z.object({ tags: z.array(z.string()), context: z.record(z.string(), z.array(z.string())) }),
    groupingConfig: z.string(),
    groupingEnhancements: z.string(),
    derivedGroupingEnhancements: z.string(),
    secondaryGroupingExpiry: z.number().int(),
    secondaryGroupingConfig: z.string().nullable(),
    fingerprintingRules: z.string(),
    organization: z.record(z.string(), z.unknown()).describe('The organization (OrganizationSerializer).'),
    plugins: z.array(z.record(z.string(), z.unknown())),
    platforms: z.array(z.string()),
    processingIssues: z.number().int(),
    defaultEnvironment: z.string().nullable(),
    relayPiiConfig: z.string().nullable(),
    builtinSymbolSources: z.array(z.string()),
    dynamicSamplingBiases: z
      .array(z.object({ id: z.string(), active: z.boolean() }))
      .nullable()
      .describe('null: clientkeys does no dynamic sampling (Sentry answers null then too).'),
    eventProcessing: z.object({ symbolicationDegraded: z.boolean() }),
    symbolSources: z.string(),
    isDynamicallySampled: z.boolean(),
    tempestFetchScreenshots: z.boolean(),
    autofixAutomationTuning: z.string(),
    seerScannerAutomation: z.boolean(),
    debugFilesRole: z.string().nullable(),
    upstream: upstreamRefSchema.nullable().describe("clientkeys: the backend accepted events are delivered to (gateway mode), or null. Its key never appears."),
    keyDefaults: keyDefaultsSchema.describe('clientkeys: what keys created in the project start with.'),
    stats: z.object({ unresolved: z.number().int() }).optional().describe('With include=stats.'),
    hasAlertIntegrationInstalled: z.boolean().optional().describe('With expand=hasAlertIntegration.'),
  })
  .meta({ id: 'DetailedProject' });

export type ProjectJson = z.output<typeof projectSchema>;
export type ProjectSummaryJson = z.output<typeof projectSummarySchema>;
export type DetailedProjectJson = z.output<typeof detailedProjectSchema>;

const slugField = (options: { allowNull: boolean; description: string }) =>
  char({
    maxLength: PROJECT_SLUG_MAX_LENGTH,
    allowNull: options.allowNull,
    pattern: MIXED_SLUG_PATTERN,
    patternMessage: SLUG_ERROR,
    description: options.description,
  });

/** `validate_platform`: a platform Sentry knows, or blank/null; on create, no console platform. */
const platformField = (options: { consoles: boolean }) =>
  char({ allowNull: true, allowBlank: true, description: 'A platform id, e.g. "node".' }).superRefine((value, ctx) => {
    if (!value) return;
    if (!isValidPlatform(value)) ctx.addIssue({ code: 'custom', message: 'Invalid platform' });
    else if (!options.consoles && CONSOLE_PLATFORMS.has(value)) {
      ctx.addIssue({ code: 'custom', message: `Console platform '${value}' is not enabled for this organization` });
    }
  });

/** clientkeys: what every key created in the project afterwards starts with (its own fields override them). */
const keyDefaultsInput = serializer({
  rateLimit: serializer({
    count: integer({ min: 1, max: MAX_POSITIVE_INT }),
    window: integer({ min: 1, max: MAX_RATE_LIMIT_WINDOW }),
  }).nullable().optional(),
  ...keyPolicyFields,
})
  .describe("clientkeys: defaults for keys created in the project afterwards, the Default key included: Sentry's rateLimit and clientkeys' quotas, IP and origin rules.")
  .meta({ id: 'KeyDefaults' });


/** ProjectPostSerializer (S:src/sentry/core/endpoints/team_projects.py). */
export const createProjectBody = serializer({
  name: char({ maxLength: 50, description: 'The name of the project.' }).superRefine((value, ctx) => {
    if (value && RESERVED_PROJECT_SLUGS.has(value)) ctx.addIssue({ code: 'custom', message: `The name "${value}" is reserved and not allowed.` });
  }),
  slug: slugField({ allowNull: true, description: 'Derived from the name, and made unique, when absent.' }).optional(),
  platform: platformField({ consoles: false }).optional(),
  default_rules: boolean({ description: 'Accepted; clientkeys has no alert rules.' }).optional(),
  defaultKey: boolean({ description: 'clientkeys: false creates the project without its "Default" key.' }).optional(),
  keyDefaults: keyDefaultsInput.optional(),
}).meta({ id: 'CreateProject' });

export type CreateProjectBody = z.output<typeof createProjectBody>;

/** A parsed keyDefaults body as stored: only the fields given (a key created later takes the rest from nothing). */
export function keyDefaultsOf(body: z.output<typeof keyDefaultsInput> | null | undefined): KeyDefaults | undefined {
  if (!body) return undefined;
  const defaults: KeyDefaults = { ...policyInput(body) };
  if (body.rateLimit !== undefined) defaults.rateLimit = effectiveRateLimit(body.rateLimit?.count, body.rateLimit?.window);
  return defaults;
}

/**
 * What a project stores of the fields a caller chooses, bounded (SECURITY.md lists them): Sentry
 * sets no limits here, but nothing unbounded may reach the database.
 */
export const PROJECT_LIMITS = {
  allowedDomains: 1000,
  originLength: 1000,
  highlightTags: 100,
  highlightContextTypes: 100,
  highlightContextKeys: 100,
  highlightLength: 200,
} as const;

/** HighlightContextField: `{"context type": ["key", …]}`. */
const highlightContext = z
  .unknown()
  .transform((value, ctx): Record<string, string[]> => {
    const fail = (message: string) => {
      ctx.addIssue({ code: 'custom', message, input: undefined });
      return z.NEVER;
    };
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('Expected a dictionary.');
    const entries = Object.entries(value);
    const { highlightContextTypes, highlightContextKeys, highlightLength } = PROJECT_LIMITS;
    if (entries.length > highlightContextTypes) return fail(`At most ${highlightContextTypes} context types are allowed.`);
    const result: Record<string, string[]> = {};
    for (const [key, items] of entries) {
      if (key === '' || key.includes('\n') || key.length > highlightLength) return fail(`Key '${key.slice(0, highlightLength)}' is invalid.`);
      if (!Array.isArray(items) || !items.every((i) => typeof i === 'string')) {
        return fail(`Value for '${key}' must be a list of strings.`);
      }
      if (items.length > highlightContextKeys || items.some((i: string) => i.length > highlightLength)) {
        return fail(`Value for '${key}' may hold at most ${highlightContextKeys} strings of at most ${highlightLength} characters.`);
      }
      result[key] = [...new Set(items as string[])];
    }
    return result;
  })
  .meta({ type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } });

/**
 * `allowedDomains`: a list of OriginField values, blanks dropped, and not empty
 * (ProjectAdminSerializer.validate_allowedDomains).
 */
const allowedDomains = list(
  char({ allowBlank: true, maxLength: PROJECT_LIMITS.originLength }).superRefine((value, ctx) => {
    if (value && value.length <= PROJECT_LIMITS.originLength && !isAcceptableOrigin(value)) {
      ctx.addIssue({ code: 'custom', message: `${value} is not an acceptable domain` });
    }
  }),
  {
    maxItems: PROJECT_LIMITS.allowedDomains,
    description: `Origins whose browsers may send events with the project's keys: \`*\`, \`example.com\`, \`*.example.com\`, \`https://example.com\`. At most ${PROJECT_LIMITS.allowedDomains} entries of at most ${PROJECT_LIMITS.originLength} characters.`,
  },
).transform((values, ctx) => {
  const domains = values.filter((value): value is string => Boolean(value));
  if (domains.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'Empty value will block all requests, use * to accept from all domains', input: undefined });
    return z.NEVER;
  }
  return domains;
});

/**
 * The fields of ProjectMemberSerializer (isBookmarked, for project:read) and of
 * ProjectAdminSerializer that clientkeys stores (S:src/sentry/core/endpoints/project_details.py).
 */
export const updateProjectBody = serializer({
  isBookmarked: boolean({ description: 'Star the project for the caller; needs project:read only.' }).optional(),
  name: char({ maxLength: 200 }).optional(),
  slug: slugField({ allowNull: false, description: 'A new slug, unique in the organization.' }).optional(),
  platform: platformField({ consoles: true }).optional(),
  subjectPrefix: char({ maxLength: 200, allowBlank: true }).optional(),
  subjectTemplate: char({ maxLength: 200 }).optional(),
  resolveAge: integer({ allowNull: true, emptyAsNull: true }).optional(),
  highlightContext: highlightContext.optional(),
  highlightTags: list(char({ maxLength: PROJECT_LIMITS.highlightLength }), { maxItems: PROJECT_LIMITS.highlightTags }).optional(),
  allowedDomains: allowedDomains.optional(),
  keyDefaults: keyDefaultsInput.nullable().optional(),
  upstreamDsn: char({
    allowNull: true,
    allowBlank: true,
    maxLength: 1000,
    description: 'clientkeys: the DSN of the backend accepted events are delivered to (needs project:admin); null or "" clears it.',
  }).optional(),
}).meta({ id: 'UpdateProject' });

export type UpdateProjectBody = z.output<typeof updateProjectBody>;

/** The admin-only fields of the body, for Sentry's "a member sent one" check. */
export const ADMIN_PROJECT_FIELDS = [
  'name', 'slug', 'platform', 'subjectPrefix', 'subjectTemplate', 'resolveAge', 'highlightContext', 'highlightTags',
  'allowedDomains', 'keyDefaults',
] as const;

export const projectListQuery = z.object({
  query: queryParam.optional().describe('Filters: id:, slug:, team:, !team:, is_member:1, or text in the name or slug.'),
  statsPeriod: queryParam.optional().describe("Accepted and checked; clientkeys has no event statistics."),
  collapse: repeated.optional().describe('"latestDeploys" leaves that field out.'),
  all_projects: queryParam.optional().describe('"1": every project, unpaginated.'),
  ...pageQuery,
});
export type ProjectListQuery = z.output<typeof projectListQuery>;

export const projectDetailQuery = z.object({
  collapse: repeated.optional().describe('Accepted and ignored, as Sentry does ("organization" stays).'),
  include: queryParam.optional().describe('"stats": add stats.unresolved.'),
  expand: repeated.optional().describe('"hasAlertIntegration": add hasAlertIntegrationInstalled.'),
});
export type ProjectDetailQuery = z.output<typeof projectDetailQuery>;
