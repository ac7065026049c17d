/**
 * The file `keys import` reads: client keys as Sentry's API returns them for a project
 * (`GET /api/0/projects/{org}/{project}/keys/`), which is also what `keys export` writes. Every
 * page may be in the file, one array after another. Fields clientkeys derives (dsn, browserSdk,
 * projectId) are ignored.
 */
import { z } from 'zod';
import { parseJsonSequence } from '../domain/json-sequence.ts';
import {
  BROWSER_SDK_VERSION_CHOICES,
  effectiveRateLimit,
  KEY_PATTERN,
  LOADER_OPTION_NAMES,
  MAX_LABEL_LENGTH,
  MAX_POSITIVE_INT,
  MAX_RATE_LIMIT_WINDOW,
  USE_CASES,
  type LoaderOptions,
  type UseCase,
} from '../domain/keys.ts';

const hexKey = z.string().regex(KEY_PATTERN, 'must be 32 lowercase hex characters');

const loaderOptions = z.object(Object.fromEntries(LOADER_OPTION_NAMES.map((name) => [name, z.boolean().optional()])) as Record<
  (typeof LOADER_OPTION_NAMES)[number],
  z.ZodOptional<z.ZodBoolean>
>);

export const sentryKeySchema = z.object({
  public: hexKey,
  secret: hexKey.nullish(),
  name: z.string().max(MAX_LABEL_LENGTH).nullish(),
  label: z.string().max(MAX_LABEL_LENGTH).nullish(),
  isActive: z.boolean().default(true),
  rateLimit: z
    .object({
      window: z.number().int().min(0).max(MAX_RATE_LIMIT_WINDOW).nullish(),
      count: z.number().int().min(0).max(MAX_POSITIVE_INT).nullish(),
    })
    .nullish(),
  browserSdkVersion: z.enum(BROWSER_SDK_VERSION_CHOICES).nullish(),
  dynamicSdkLoaderOptions: loaderOptions.nullish(),
  dateCreated: z.iso.datetime({ offset: true }).nullish(),
  useCase: z.enum(USE_CASES).nullish(),
});

/** One key to import, as clientkeys keeps it. */
export interface ImportedKey {
  publicKey: string;
  /** Absent: a new secret is generated (Sentry has ignored the secret since 9.x). */
  secretKey: string | undefined;
  label: string | undefined;
  isActive: boolean;
  rateLimit: { count: number; window: number } | null;
  browserSdkVersion: string | undefined;
  loaderOptions: LoaderOptions | undefined;
  dateCreated: string | undefined;
  useCase: UseCase;
}

export type KeyFileResult = { ok: true; keys: ImportedKey[] } | { ok: false; error: string };

/** The keys of a file, flattened over its pages, or the first problem with a position. */
export function parseKeyFile(text: string): KeyFileResult {
  let documents: unknown[];
  try {
    documents = parseJsonSequence(text);
  } catch (error) {
    return { ok: false, error: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const items: unknown[] = [];
  for (const doc of documents) {
    if (!Array.isArray(doc)) return { ok: false, error: 'expected a JSON array of keys (or several, one per page)' };
    for (const item of doc) {
      if (Array.isArray(item)) items.push(...item);
      else items.push(item);
    }
  }
  const keys: ImportedKey[] = [];
  for (const [index, item] of items.entries()) {
    const parsed = sentryKeySchema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? issue.path.join('.') : 'the key';
      const which = typeof (item as { public?: unknown })?.public === 'string' ? ` (public ${(item as { public: string }).public})` : '';
      return { ok: false, error: `key ${index + 1}${which}: ${where}: ${issue?.message ?? 'invalid'}` };
    }
    const key = parsed.data;
    keys.push({
      publicKey: key.public,
      secretKey: key.secret ?? undefined,
      label: key.name ?? key.label ?? undefined,
      isActive: key.isActive,
      rateLimit: effectiveRateLimit(key.rateLimit?.count, key.rateLimit?.window),
      browserSdkVersion: key.browserSdkVersion ?? undefined,
      loaderOptions: key.dynamicSdkLoaderOptions ?? undefined,
      dateCreated: key.dateCreated ?? undefined,
      useCase: key.useCase ?? 'user',
    });
  }
  return { ok: true, keys };
}
