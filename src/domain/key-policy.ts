/**
 * A client key's policy beyond Sentry's `rateLimit` (clientkeys): quotas per data category,
 * network rules (allowed and denied addresses or CIDRs) and origin rules (allowed origins on top of
 * the project's `allowedDomains`, an Origin or Referer required, or browsers refused). Stored as
 * JSON with the key; compiled once per distinct text for the gate.
 */
import { BlockList, isIP } from 'node:net';
import { DATA_CATEGORIES } from './data-categories.ts';
import { compileAllowedOrigins, isAcceptableOrigin, type OriginCheck, type RequestOriginValue } from './origins.ts';

export interface KeyQuota {
  categories: string[];
  count: number;
  /** Seconds. */
  window: number;
}

export interface KeyPolicy {
  quotas: KeyQuota[];
  allowedIps: string[];
  deniedIps: string[];
  allowedOrigins: string[];
  requireOrigin: boolean;
  serverOnly: boolean;
}

/** At most this many of each per key (documented; `maxItems` in OpenAPI). */
export const POLICY_LIMITS = { quotas: 10, ipRules: 100, origins: 100, originLength: 1000 } as const;

export const EMPTY_POLICY: Readonly<KeyPolicy> = Object.freeze({ quotas: [], allowedIps: [], deniedIps: [], allowedOrigins: [], requireOrigin: false, serverOnly: false });

const KNOWN_CATEGORIES = new Set<string>(DATA_CATEGORIES);

export function isDataCategory(value: string): boolean {
  return KNOWN_CATEGORIES.has(value);
}

/** An IPv4/IPv6 address or CIDR, as `allowedIps`/`deniedIps` take them. */
export function isIpRule(value: string): boolean {
  const [address = '', prefix, extra] = value.split('/');
  if (extra !== undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 6 ? 128 : 32);
}

export function isPolicyOrigin(value: string): boolean {
  return value.length <= POLICY_LIMITS.originLength && isAcceptableOrigin(value);
}

/** The stored text, read leniently: anything unexpected reads as no rule (only the API writes it). */
export function parsePolicy(text: string | null): KeyPolicy {
  if (text === null) return EMPTY_POLICY;
  let value: Partial<KeyPolicy>;
  try {
    value = JSON.parse(text) as Partial<KeyPolicy>;
  } catch {
    return EMPTY_POLICY;
  }
  const strings = (list: unknown) => (Array.isArray(list) ? list.filter((s): s is string => typeof s === 'string') : []);
  return {
    quotas: Array.isArray(value.quotas)
      ? value.quotas.filter((q): q is KeyQuota => Boolean(q) && Array.isArray(q.categories) && Number.isInteger(q.count) && Number.isInteger(q.window) && q.window > 0)
      : [],
    allowedIps: strings(value.allowedIps),
    deniedIps: strings(value.deniedIps),
    allowedOrigins: strings(value.allowedOrigins),
    requireOrigin: value.requireOrigin === true,
    serverOnly: value.serverOnly === true,
  };
}

/** The text to store; null when the policy sets nothing (most keys). */
export function storedPolicy(policy: KeyPolicy): string | null {
  const empty =
    policy.quotas.length === 0 && policy.allowedIps.length === 0 && policy.deniedIps.length === 0 && policy.allowedOrigins.length === 0 && !policy.requireOrigin && !policy.serverOnly;
  return empty ? null : JSON.stringify(policy);
}

/** `base` with every field `overrides` gives replaced (a given list replaces the list). */
export function mergePolicy(base: KeyPolicy, overrides: Partial<KeyPolicy>): KeyPolicy {
  const merged = { ...base };
  for (const field of Object.keys(overrides) as (keyof KeyPolicy)[]) {
    const value = overrides[field];
    if (value !== undefined) (merged as Record<string, unknown>)[field] = value;
  }
  return merged;
}

export interface CompiledQuota {
  /** The counter's identity: the key, the categories and the window, so a changed quota starts afresh. */
  id: string;
  categories: ReadonlySet<string>;
  /** Relay's `<cat;cat>` for X-Sentry-Rate-Limits. */
  header: string;
  count: number;
  window: number;
}

/** What the gate checks per request, built once per distinct policy text. */
export interface CompiledPolicy {
  quotas: CompiledQuota[];
  allowed: BlockList | undefined;
  denied: BlockList | undefined;
  origins: OriginCheck;
  requireOrigin: boolean;
  serverOnly: boolean;
  /** Whether any quota counts spans (the spans inside a transaction are counted then). */
  countsSpans: boolean;
}

function blockList(rules: readonly string[]): BlockList | undefined {
  if (rules.length === 0) return undefined;
  const list = new BlockList();
  for (const rule of rules) {
    const [address = '', prefix] = rule.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (!isIpRule(rule)) continue;
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return list;
}

const compiled = new Map<string, CompiledPolicy | undefined>();

/** Undefined for a key without a policy: the common case costs the gate nothing. */
export function compilePolicy(keyId: number, text: string | null): CompiledPolicy | undefined {
  if (text === null) return undefined;
  const memo = `${keyId}\0${text}`;
  if (compiled.has(memo)) return compiled.get(memo);
  const policy = parsePolicy(text);
  const quotas = policy.quotas.map((quota) => {
    const categories = [...new Set(quota.categories)].sort();
    return { id: `q:${keyId}:${categories.join(';')}:${quota.window}`, categories: new Set(categories), header: quota.categories.join(';'), count: quota.count, window: quota.window };
  });
  const result: CompiledPolicy = {
    quotas,
    allowed: blockList(policy.allowedIps),
    denied: blockList(policy.deniedIps),
    origins: policy.allowedOrigins.length > 0 ? compileAllowedOrigins(policy.allowedOrigins) : undefined,
    requireOrigin: policy.requireOrigin,
    serverOnly: policy.serverOnly,
    countsSpans: quotas.some((q) => q.categories.has('span')),
  };
  if (compiled.size >= 10_000) compiled.clear();
  compiled.set(memo, result);
  return result;
}

function inList(list: BlockList, address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return list.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** Whether the client address may use the key: not denied, and allowed when an allow list is set. */
export function addressAllowed(policy: CompiledPolicy, address: string): boolean {
  if (policy.denied && inList(policy.denied, address)) return false;
  return !policy.allowed || inList(policy.allowed, address);
}

/**
 * Whether the request's origin may use the key: `serverOnly` refuses any browser Origin,
 * `requireOrigin` a request naming none, and `allowedOrigins` (on top of the project's list) one
 * that matches no pattern, an unusable one (`null`, not http(s)) included.
 */
export function originAllowed(policy: CompiledPolicy, originHeader: string | undefined, origin: RequestOriginValue): boolean {
  if (policy.serverOnly && originHeader) return false;
  if (policy.requireOrigin && origin === undefined) return false;
  return !policy.origins || origin === undefined || policy.origins(origin);
}
