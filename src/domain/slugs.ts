/**
 * Slugs (S:src/sentry/slug/patterns.py, S:src/sentry/constants.py, S:src/sentry/db/models/utils.py).
 */
import { randomInt } from 'node:crypto';

export const MIXED_SLUG_PATTERN = /^(?![0-9]+$)[a-z0-9_-]+$/;
export const ORG_SLUG_PATTERN = /^(?![0-9]+$)[a-zA-Z0-9][a-zA-Z0-9-]*(?<!-)$/;

export const SLUG_ERROR =
  'Enter a valid slug consisting of lowercase letters, numbers, underscores or hyphens. It cannot be entirely numeric.';
export const ORG_SLUG_ERROR = 'Enter a valid slug consisting of letters, numbers, or hyphens. It cannot be entirely numeric.';

export const PROJECT_SLUG_MAX_LENGTH = 100;
export const ORG_SLUG_MAX_LENGTH = 50;
/** DEFAULT_SLUG_MAX_LENGTH (S:src/sentry/db/models/fields/slug.py). */
export const TEAM_SLUG_MAX_LENGTH = 50;
/** `Project.save()` derives a slug from the name with max_length=50. */
export const DERIVED_SLUG_MAX_LENGTH = 50;

export const RESERVED_PROJECT_SLUGS: ReadonlySet<string> = new Set([
  '$all', 'api-keys', 'audit-log', 'auth', 'members', 'projects', 'rate-limits', 'repos', 'settings',
  'teams', 'billing', 'payments', 'legal', 'subscription', 'support', 'integrations', 'developer-settings', 'usage',
]);

export const RESERVED_ORGANIZATION_SLUGS: ReadonlySet<string> = new Set([
  '404', '500', '_admin', '_experiment', '_static', 'about', 'accept', 'access', 'account', 'accountspayable',
  'acl', 'admin', 'answers', 'ap', 'api', 'app', 'at', 'au1', 'auth', 'authentication', 'avatar', 'billing',
  'blog', 'branding', 'careers', 'client', 'clients', 'community', 'contact', 'corp', 'customers', 'de',
  'debug', 'devinfra', 'docs', 'enterprise', 'eu', 'events', 'expenses', 'ext', 'extension', 'extensions',
  'features', 'finance', 'for', 'from', 'get-cli', 'github-deployment-gate', 'guide', 'help', 'ingest',
  'ingest-beta', 'integration-platform', 'integrations', 'invoice', 'invoices', 'ja', 'jobs', 'legal',
  'login', 'logout', 'lp', 'mail', 'manage', 'my', 'onboarding', 'organization-avatar', 'organizations',
  'out', 'payment', 'payments', 'platforms', 'plugins', 'policy', 'pricing', 'privacy', 'project-avatar',
  'projects', 'receipt', 'receipts', 'referrals', 'register', 'remote', 'resources', 'sa1', 'sales',
  'security', 'sentry-apps', 'settings', 'signup', 'sponsorship', 'ssh', 'sso', 'staff', 'subscribe',
  'support', 'syntax', 'syntaxfm', 'team-avatar', 'teams', 'terms', 'thanks', 'themonitor', 'trust', 'us',
  'vs', 'welcome',
]);

/** Django's `slugify`: ASCII-fold, drop what is not a word character, space or hyphen, collapse to "-". */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[^\x00-\x7f]/g, '')
    .toLowerCase()
    .replace(/[^\w\s-]/g, '')
    .trim()
    .replace(/[-\s]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
}

// Sentry's own alphabet, which leaves out "8" by a typo; kept so slugs look the same.
const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456790';

function randomSuffix(size: number): string {
  let out = '';
  for (let i = 0; i < size; i++) out += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return out;
}

function randomHex(size: number): string {
  let out = '';
  for (let i = 0; i < size; i++) out += '0123456789abcdef'[randomInt(16)];
  return out;
}

/**
 * The candidates `slugify_instance` tries, in order: the slugified base, then the base with a random
 * suffix of growing size (2 chars ×2, 3 ×5, 5 ×20, 12 ×1). The caller takes the first one not in use.
 */
export function* slugCandidates(name: string, reserved: ReadonlySet<string>, maxLength: number): Generator<string> {
  let base = slugify(name).slice(0, maxLength).replace(/^-+|-+$/g, '');
  if (reserved.has(base) || base === '') base = randomHex(12);
  if (!/^[0-9]+$/.test(base)) yield base;
  for (const [size, tries] of [[2, 2], [3, 5], [5, 20], [12, 1]] as const) {
    const head = base.slice(0, maxLength - size - 1).replace(/-+$/, '');
    for (let i = 0; i < tries; i++) yield `${head}-${randomSuffix(size)}`;
  }
}
