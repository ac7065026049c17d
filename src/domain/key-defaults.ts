/**
 * A project's defaults for the keys created in it afterwards, the Default key included
 * (`keyDefaults`, stored as the project option `clientkeys:key_defaults`): Sentry's rateLimit and
 * clientkeys' policy fields. A key's own fields override them.
 */
import { effectiveRateLimit, type RateLimit } from './keys.ts';
import { EMPTY_POLICY, mergePolicy, parsePolicy, type KeyPolicy } from './key-policy.ts';

export const KEY_DEFAULTS_OPTION = 'clientkeys:key_defaults';

export interface KeyDefaults extends Partial<KeyPolicy> {
  rateLimit?: RateLimit | null;
}

/** The stored option, read leniently (only the API writes it). */
export function parseKeyDefaults(value: unknown): { rateLimit: RateLimit | null; policy: KeyPolicy } {
  if (!value || typeof value !== 'object') return { rateLimit: null, policy: EMPTY_POLICY };
  const stored = value as KeyDefaults;
  const rateLimit = effectiveRateLimit(stored.rateLimit?.count, stored.rateLimit?.window);
  const policy = parsePolicy(JSON.stringify({ ...EMPTY_POLICY, ...stored }));
  return { rateLimit, policy: mergePolicy(EMPTY_POLICY, policy) };
}
