/**
 * A project's defaults for the keys created in it afterwards, the Default key included
 * (`keyDefaults`, stored as the project option `clientkeys:key_defaults`): Sentry's rateLimit and
 * clientkeys' policy fields. A key's own fields override them.
 */
import { EMPTY_POLICY, mergePolicy, parsePolicy, type KeyPolicy } from './key-policy.ts';

export const KEY_DEFAULTS_OPTION = 'clientkeys:key_defaults';

export interface KeyDefaults extends Partial<KeyPolicy> {
  rateLimit?: { count: number; window: number } | null;
}

/** The stored option, read leniently (only the API writes it). */
export function parseKeyDefaults(value: unknown): { rateLimit: { count: number; window: number } | null; policy: KeyPolicy } {
  if (!value || typeof value !== 'object') return { rateLimit: null, policy: EMPTY_POLICY };
  const stored = value as KeyDefaults;
  const limit = stored.rateLimit;
  const rateLimit = limit && Number.isInteger(limit.count) && Number.isInteger(limit.window) && limit.count > 0 && limit.window > 0 ? { count: limit.count, window: limit.window } : null;
  const policy = parsePolicy(JSON.stringify({ ...EMPTY_POLICY, ...stored }));
  return { rateLimit, policy: mergePolicy(EMPTY_POLICY, policy) };
}
