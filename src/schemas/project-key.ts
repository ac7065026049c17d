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
import { boolean, char, choice, integer, serializer } from './drf.ts';

/** Sentry's RateLimitSerializer: "" or null mean "no value". */
const rateLimitInput = serializer({
  count: integer({ min: 0, max: MAX_POSITIVE_INT, allowNull: true, emptyAsNull: true, description: 'Events per window.' }).optional(),
  window: integer({ min: 0, max: MAX_RATE_LIMIT_WINDOW, allowNull: true, emptyAsNull: true, description: 'Window in seconds.' }).optional(),
});

const keyName = () =>
  char({ maxLength: MAX_LABEL_LENGTH, allowBlank: true, allowNull: true, description: 'The name of the key.' }).optional();

export const createKeyBody = serializer({
  name: keyName(),
  rateLimit: rateLimitInput.optional().describe('Applied only when both count and window are non-zero.'),
  public: char({ allowNull: true, pattern: KEY_PATTERN, description: 'A chosen public key (32 hex).' }).optional(),
  secret: char({ allowNull: true, pattern: KEY_PATTERN, description: 'A chosen secret key (32 hex).' }).optional(),
  useCase: choice(USE_CASES, { description: 'Only for superusers; "user" otherwise.' }).optional(),
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
  }).meta({ id: 'ClientKey' }),
);

export type ProjectKeyJson = z.output<typeof projectKeySchema>;

export const projectKeyListSchema = builtBySerializers(z.array(projectKeySchema));
