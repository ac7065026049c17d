/**
 * Client keys on the wire: the request bodies of create and update (DRF semantics, see drf.ts)
 * and the key as Sentry's ProjectKeySerializer emits it, field for field and in its order.
 */
import { z } from 'zod';
import { builtBySerializers } from './built-by-serializers.ts';
import {
  BROWSER_SDK_VERSION_CHOICES,
  KEY_PATTERN,
  MAX_LABEL_LENGTH,
  MAX_OVERLAP_SECONDS,
  MAX_POSITIVE_INT,
  MAX_RATE_LIMIT_WINDOW,
  USE_CASES,
} from '../domain/keys.ts';
import { DATA_CATEGORIES, type DataCategory } from '../domain/data-categories.ts';
import { isIpRule, isPolicyOrigin, POLICY_LIMITS, type KeyPolicy } from '../domain/key-policy.ts';
import { boolean, char, choice, integer, list, serializer } from './drf.ts';
import { pageQuery, queryParam, repeated } from './common.ts';

/** Sentry's RateLimitSerializer: "" or null mean "no value". */
const rateLimitInput = serializer({
  count: integer({ min: 0, max: MAX_POSITIVE_INT, allowNull: true, emptyAsNull: true, description: 'Events per window.' }).optional(),
  window: integer({ min: 0, max: MAX_RATE_LIMIT_WINDOW, allowNull: true, emptyAsNull: true, description: 'Window in seconds.' }).optional(),
});

const keyName = () =>
  char({ maxLength: MAX_LABEL_LENGTH, allowBlank: true, allowNull: true, description: 'The name of the key.' }).optional();

/** A quota per data category (clientkeys): one counter for all its categories. */
const quotaInput = serializer({
  categories: list(choice(DATA_CATEGORIES as unknown as [DataCategory, ...DataCategory[]]), { maxItems: DATA_CATEGORIES.length }).superRefine((value, ctx) => {
    if (value.length === 0) ctx.addIssue({ code: 'custom', message: 'Name at least one data category.' });
  }),
  count: integer({ min: 0, max: MAX_POSITIVE_INT, description: 'Per window; bytes for attachment and log_byte.' }),
  window: integer({ min: 1, max: MAX_RATE_LIMIT_WINDOW, description: 'Seconds, at most a day.' }),
});

const ipRule = char({ maxLength: 64 }).superRefine((value, ctx) => {
  if (value && !isIpRule(value)) ctx.addIssue({ code: 'custom', message: `${value} is not an IP address or CIDR.` });
});

const keyOrigin = char({ maxLength: POLICY_LIMITS.originLength }).superRefine((value, ctx) => {
  if (value && value.length <= POLICY_LIMITS.originLength && !isPolicyOrigin(value)) ctx.addIssue({ code: 'custom', message: `${value} is not an acceptable domain` });
});

/** clientkeys' policy fields, accepted on create and update (and as a project's keyDefaults). */
export const keyPolicyFields = {
  quotas: list(quotaInput, { maxItems: POLICY_LIMITS.quotas, description: `At most ${POLICY_LIMITS.quotas}; a given list replaces the key's.` }).optional(),
  allowedIps: list(ipRule, { maxItems: POLICY_LIMITS.ipRules, description: `Addresses or CIDRs that may use the key (empty: any); at most ${POLICY_LIMITS.ipRules}.` }).optional(),
  deniedIps: list(ipRule, { maxItems: POLICY_LIMITS.ipRules, description: `Addresses or CIDRs that may not; at most ${POLICY_LIMITS.ipRules}.` }).optional(),
  allowedOrigins: list(keyOrigin, { maxItems: POLICY_LIMITS.origins, description: `Origins whose browsers may use the key, on top of the project's allowedDomains (same patterns); at most ${POLICY_LIMITS.origins}.` }).optional(),
  requireOrigin: boolean({ description: 'Refuse requests with neither Origin nor Referer.' }).optional(),
  serverOnly: boolean({ description: 'Refuse any request with a browser Origin.' }).optional(),
};

/** The policy fields a body gave, as the services take them. */
export function policyInput(body: { [K in keyof typeof keyPolicyFields]?: unknown }): Partial<KeyPolicy> | undefined {
  const policy: Partial<KeyPolicy> = {};
  if (body.quotas !== undefined) policy.quotas = body.quotas as KeyPolicy['quotas'];
  if (body.allowedIps !== undefined) policy.allowedIps = body.allowedIps as string[];
  if (body.deniedIps !== undefined) policy.deniedIps = body.deniedIps as string[];
  if (body.allowedOrigins !== undefined) policy.allowedOrigins = body.allowedOrigins as string[];
  if (typeof body.requireOrigin === 'boolean') policy.requireOrigin = body.requireOrigin;
  if (typeof body.serverOnly === 'boolean') policy.serverOnly = body.serverOnly;
  return Object.keys(policy).length > 0 ? policy : undefined;
}

export const createKeyBody = serializer({
  name: keyName(),
  rateLimit: rateLimitInput.optional().describe('Applied only when both count and window are non-zero.'),
  public: char({ allowNull: true, pattern: KEY_PATTERN, description: 'A chosen public key (32 hex).' }).optional(),
  secret: char({ allowNull: true, pattern: KEY_PATTERN, description: 'A chosen secret key (32 hex).' }).optional(),
  useCase: choice(USE_CASES, { description: 'Only for superusers; "user" otherwise.' }).optional(),
  ...keyPolicyFields,
}).meta({ id: 'CreateClientKey' });

export type CreateKeyBody = z.output<typeof createKeyBody>;

const loaderOptionsInput = serializer({
  hasReplay: boolean().optional(),
  hasPerformance: boolean().optional(),
  hasDebug: boolean().optional(),
  hasFeedback: boolean().optional(),
  hasLogsAndMetrics: boolean().optional(),
});

export const updateKeyBody = serializer({
  name: keyName(),
  isActive: boolean({ description: 'false disables the key, true enables it.' }).optional(),
  rateLimit: rateLimitInput.nullable().optional().describe('null, or a missing count/window, removes the limit.'),
  browserSdkVersion: choice(BROWSER_SDK_VERSION_CHOICES).optional(),
  dynamicSdkLoaderOptions: loaderOptionsInput
    .nullable()
    .optional()
    .describe('Merged into the current options; unknown keys are ignored.'),
  ...keyPolicyFields,
}).meta({ id: 'UpdateClientKey' });

export type UpdateKeyBody = z.output<typeof updateKeyBody>;

const url = z.string();

export const rotateKeyBody = serializer({
  overlapSeconds: integer({
    min: 0,
    max: MAX_OVERLAP_SECONDS,
    description: 'How long the old key keeps working, in seconds: 0 stops it at once; default 86400 (a day), at most 30 days.',
  }).optional(),
}).meta({ id: 'RotateClientKey' });

export type RotateKeyBody = z.output<typeof rotateKeyBody>;

export const keyQuotaSchema = z
  .object({
    categories: z.array(z.string()).describe("Relay's data categories (error, transaction, span, attachment, session, replay, log_item, log_byte, …); one counter for all of them."),
    count: z.number().int().describe('How much the categories may carry per window (bytes for attachment and log_byte).'),
    window: z.number().int().describe('Seconds.'),
  })
  .meta({ id: 'ClientKeyQuota' });

export const projectKeySchema = builtBySerializers(
  z.object({
    id: z.string().describe('The public key; also the key_id in paths.'),
    name: z.string(),
    label: z.string(),
    public: z.string(),
    secret: z.string(),
    projectId: z.number().int(),
    isActive: z.boolean(),
    rateLimit: z.object({ window: z.number().int(), count: z.number().int() }).nullable(),
    dsn: z.object({
      secret: url,
      public: url,
      csp: url,
      security: url,
      minidump: url,
      nel: url,
      unreal: url,
      crons: url,
      cdn: url,
      playstation: url,
      integration: url,
      otlp_traces: url,
      otlp_logs: url,
    }),
    browserSdkVersion: z.string(),
    browserSdk: z.object({ choices: z.array(z.tuple([z.string(), z.string()])) }),
    dateCreated: z.string().describe('ISO-8601 UTC with microseconds.'),
    dynamicSdkLoaderOptions: z.object({
      hasReplay: z.boolean(),
      hasPerformance: z.boolean(),
      hasDebug: z.boolean(),
      hasFeedback: z.boolean(),
      hasLogsAndMetrics: z.boolean(),
    }),
    useCase: z.string().optional().describe('Only for superusers.'),
    // clientkeys' additions, after Sentry's fields.
    dateExpires: z
      .string()
      .nullable()
      .describe('clientkeys: when the key stops being accepted (the end of a rotation overlap); null if never.'),
    replacedBy: z.string().nullable().describe('clientkeys: the public key of the key that replaces this one in a rotation.'),
    replaces: z.string().nullable().describe('clientkeys: the public key of the key this one replaced in a rotation.'),
    quotas: z
      .array(keyQuotaSchema)
      .describe("clientkeys: quotas per data category, on top of Sentry's rateLimit (which covers the error categories)."),
    allowedIps: z.array(z.string()).describe('clientkeys: addresses or CIDRs that may use the key; empty: any.'),
    deniedIps: z.array(z.string()).describe('clientkeys: addresses or CIDRs that may not.'),
    allowedOrigins: z.array(z.string()).describe("clientkeys: origins whose browsers may use the key, on top of the project's allowedDomains; empty: those."),
    requireOrigin: z.boolean().describe('clientkeys: refuse requests with neither Origin nor Referer.'),
    serverOnly: z.boolean().describe('clientkeys: refuse any request with a browser Origin.'),
  }).meta({ id: 'ClientKey' }),
);

export type ProjectKeyJson = z.output<typeof projectKeySchema>;

export const projectKeyListSchema = builtBySerializers(z.array(projectKeySchema));

export const organizationKeysQuery = z.object({
  team: queryParam.optional().describe("Only keys of this team's projects (slug or id)."),
  status: queryParam.optional().describe('"active" or "inactive".'),
  project: repeated.optional().describe('Project ids; -1 for every accessible project.'),
  projectSlug: repeated.optional().describe('Project slugs; $all for every accessible project.'),
  ...pageQuery,
});

export const projectKeyListQuery = z.object({
  status: queryParam.optional().describe('"active" or "inactive"; any other value lists nothing.'),
  ...pageQuery,
});
export type ProjectKeyListQuery = z.output<typeof projectKeyListQuery>;
export type OrganizationKeysQuery = z.output<typeof organizationKeysQuery>;
