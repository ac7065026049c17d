/**
 * Client-key values: public/secret keys and the generated label (S:src/sentry/models/projectkey.py).
 */
import { randomBytes, randomInt } from 'node:crypto';
import { adjectives, animals } from 'unique-names-generator';

/** `ProjectKey.looks_like_api_key`, also the `public`/`secret` RegexField of the create serializer. */
export const KEY_PATTERN = /^[a-f0-9]{32}$/;

/** `secrets.token_hex(16)`: 32 lowercase hex characters from the CSPRNG. */
export function generateKey(): string {
  return randomBytes(16).toString('hex');
}

const SHORT_WORD = /^[a-z]{1,10}$/;
const ADJECTIVES = adjectives.filter((w) => SHORT_WORD.test(w));
const NAMES = animals.filter((w) => SHORT_WORD.test(w));

const titleCase = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

function pick(words: readonly string[]): string {
  return words[randomInt(words.length)] as string;
}

/** `petname.generate(2, " ", letters=10).title()`: an adjective and a name, e.g. "Liked Pegasus". */
export function generateLabel(): string {
  return `${titleCase(pick(ADJECTIVES))} ${titleCase(pick(NAMES))}`;
}

export const KEY_STATUS = { active: 0, inactive: 1 } as const;

/** `ProjectKey.roles` bit flags; the API only ever shows keys with the store bit. */
export const KEY_ROLES = { store: 1, api: 2 } as const;

export const USE_CASES = ['user', 'profiling', 'escalating_issues', 'tempest', 'demo'] as const;
export type UseCase = (typeof USE_CASES)[number];

export const LOADER_OPTION_NAMES = ['hasReplay', 'hasPerformance', 'hasDebug', 'hasFeedback', 'hasLogsAndMetrics'] as const;
export type LoaderOptionName = (typeof LOADER_OPTION_NAMES)[number];
export type LoaderOptions = Partial<Record<LoaderOptionName, boolean>>;

/** What `ProjectKey.data` holds. */
export interface KeyData {
  browserSdkVersion?: string;
  dynamicSdkLoaderOptions?: LoaderOptions;
}

/**
 * `get_default_loader_data(project)` for projects at the latest epoch, which every project here is
 * (S:src/sentry/loader/dynamic_sdk_options.py, S:src/sentry/projectoptions/defaults.py).
 */
export function defaultKeyData(): KeyData {
  return { dynamicSdkLoaderOptions: { hasPerformance: true, hasReplay: true } };
}

/** `sentry:default_loader_version` at the latest epoch (15). */
export const DEFAULT_BROWSER_SDK_VERSION = '10.x';

/** `sentry:loader_available_sdk_versions` at epoch ≥ 11: what the serializer offers as choices. */
export const AVAILABLE_BROWSER_SDK_VERSIONS = ['10.x', '9.x', '8.x', '7.x'] as const;

/** `get_all_browser_sdk_version_choices()`: what PUT accepts as `browserSdkVersion`. */
export const BROWSER_SDK_VERSION_CHOICES = ['latest', '10.x', '9.x', '8.x', '7.x', '6.x', '5.x', '4.x'] as const;

/** rate_limit_count / rate_limit_window are PositiveIntegerFields: anything larger cannot be stored. */
export const MAX_POSITIVE_INT = 2147483647;
/** RateLimitSerializer: window at most one day. */
export const MAX_RATE_LIMIT_WINDOW = 86400;
export const MAX_LABEL_LENGTH = 64;

/** A rotation's overlap: how long the old key keeps working (clientkeys). */
export const DEFAULT_OVERLAP_SECONDS = 86_400;
export const MAX_OVERLAP_SECONDS = 30 * 86_400;
