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

/** What decides whether a key may be used, in whichever form a layer holds the key. */
export interface KeyLiveness {
  /** A `KEY_STATUS` value. */
  status: number;
  /** `KEY_ROLES` bits. */
  roles: number;
  /** Epoch ms at which a rotation's overlap ends, or null. */
  expiresAt: number | null;
  /** Whether the key's project is active; a key row read without its project counts as one of an active project. */
  projectActive?: boolean;
}

/**
 * The one rule for "this key works now", used by the API's `isActive`, the ingest gate and the
 * loader alike: enabled, with the store role, of an active project, and a rotated-out key only until
 * its overlap ends (exactly, on every instance, whether or not the expiry sweep has marked it yet).
 */
export function keyIsLive(key: KeyLiveness, now: number): boolean {
  return (
    key.status === KEY_STATUS.active &&
    (key.roles & KEY_ROLES.store) === KEY_ROLES.store &&
    key.projectActive !== false &&
    (key.expiresAt === null || key.expiresAt > now)
  );
}

/** A stored `expires_at` as `KeyLiveness` holds it. */
export function expiryMs(expiresAt: string | null): number | null {
  return expiresAt === null ? null : Date.parse(expiresAt);
}

export interface RateLimit {
  count: number;
  window: number;
}

/**
 * Sentry's per-key rate limit applies only when both numbers are set and non-zero
 * (`ProjectKey.rate_limit_count`/`rate_limit_window`; Relay's quota is skipped otherwise); this is
 * how every layer reads one, stored, imported or defaulted.
 */
export function effectiveRateLimit(count: number | null | undefined, window: number | null | undefined): RateLimit | null {
  return count && window && Number.isInteger(count) && Number.isInteger(window) && count > 0 && window > 0 ? { count, window } : null;
}

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

/** `ProjectKey.data` as stored (a JSON object); anything unreadable reads as no settings. */
export function parseKeyData(json: string): KeyData {
  try {
    const value: unknown = JSON.parse(json);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as KeyData) : {};
  } catch {
    return {};
  }
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
