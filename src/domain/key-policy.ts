/**
 * A client key's policy beyond Sentry's `rateLimit` (clientkeys): quotas per data category,
 * network rules (allowed and denied addresses or CIDRs) and origin rules (allowed origins on top of
 * the project's `allowedDomains`, an Origin or Referer required, or browsers refused). Stored as
 * JSON with the key; compiled once per distinct text for the gate.
 */
import { BlockList, isIP } from 'node:net';
import { DATA_CATEGORIES } from './data-categories.ts';
import { compileAllowedOrigins, isAcceptableOrigin, requestOrigin, type OriginCheck, type RequestOriginValue } from './origins.ts';

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
  allowed: AddressRules | undefined;
  denied: AddressRules | undefined;
  origins: OriginCheck;
  requireOrigin: boolean;
  serverOnly: boolean;
  /** Whether any quota counts spans (the spans inside a transaction are counted then). */
  countsSpans: boolean;
  /** Whether every IP rule is IPv4: an IPv4 address is then decided as integers, without BlockList. */
  onlyV4: boolean;
  /** Whether it has any origin rule (`allowedOrigins`, `requireOrigin`, `serverOnly`): otherwise the origin is not read. */
  checksOrigin: boolean;
  /** `requestAllowed`'s verdicts by Origin header (one per web app, mostly); dies with the policy. */
  originVerdicts: Map<string, boolean>;
  /** `addressAllowed`'s verdicts that took BlockList, by client address (an address repeats); dies with the policy. */
  verdicts: Map<string, boolean>;
}

/** Verdicts kept per compiled policy (origins; addresses BlockList decided: IPv6 rules or addresses); past this the oldest go first. */
export const ADDRESS_VERDICTS_MAX = 4096;

/**
 * One list of address rules (`allowedIps` or `deniedIps`). `node:net`'s BlockList decides, exactly as
 * it always has; when every rule is IPv4, an IPv4 address (dotted, or IPv4-mapped `::ffff:a.b.c.d`)
 * is matched against the rules' ranges as integers instead, which decides the same (BlockList
 * builds a SocketAddress per check: 1–2.5 µs, whatever the number of rules).
 */
export class AddressRules {
  private readonly list = new BlockList();
  /** [first, last] pairs (unsigned 32-bit) of the IPv4 rules; undefined when some rule is IPv6. */
  private readonly v4: Float64Array | undefined;

  constructor(rules: readonly string[]) {
    const ranges: number[] = [];
    let onlyV4 = true;
    for (const rule of rules) {
      if (!isIpRule(rule)) continue;
      const [address = '', prefix] = rule.split('/');
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, Number(prefix), family);
      const start = family === 'ipv4' ? ipv4Number(address) : -1;
      if (start < 0) {
        onlyV4 = false;
        continue;
      }
      const bits = prefix === undefined ? 32 : Number(prefix);
      const size = 2 ** (32 - bits);
      const first = start - (start % size);
      ranges.push(first, first + size - 1);
    }
    this.v4 = onlyV4 ? Float64Array.from(ranges) : undefined;
  }

  /** Whether every rule is IPv4, so that `hasV4` decides for any IPv4 address. */
  get onlyV4(): boolean {
    return this.v4 !== undefined;
  }

  /** For an IPv4 address as `ipv4Number` reads it, when `onlyV4`. */
  hasV4(n: number): boolean {
    const v4 = this.v4!;
    for (let i = 0; i < v4.length; i += 2) if (n >= v4[i]! && n <= v4[i + 1]!) return true;
    return false;
  }

  has(address: string): boolean {
    if (this.v4 !== undefined) {
      const n = ipv4Number(address);
      if (n >= 0) return this.hasV4(n);
    }
    return inList(this.list, address);
  }
}

/**
 * The address as an unsigned 32-bit number when it is an IPv4 address in the canonical dotted form
 * `isIP` accepts (no leading zeros), bare or IPv4-mapped (`::ffff:a.b.c.d`, any case); otherwise -1.
 */
export function ipv4Number(address: string): number {
  let i = 0;
  const length = address.length;
  if (length > 7 && address.charCodeAt(0) === 58 /* : */) {
    if (length < 14 || address.charCodeAt(1) !== 58 || address.slice(2, 7).toLowerCase() !== 'ffff:') return -1;
    i = 7;
  }
  let value = 0;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (address.charCodeAt(i) !== 46 /* . */) return -1;
      i++;
    }
    const begin = i;
    let octet = 0;
    while (i < length) {
      const c = address.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      octet = octet * 10 + c;
      i++;
    }
    const digits = i - begin;
    if (digits === 0 || digits > 3 || octet > 255 || (digits > 1 && address.charCodeAt(begin) === 48)) return -1;
    value = value * 256 + octet;
  }
  return i === length ? value : -1;
}

function addressRules(rules: readonly string[]): AddressRules | undefined {
  return rules.length === 0 ? undefined : new AddressRules(rules);
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
  const allowed = addressRules(policy.allowedIps);
  const denied = addressRules(policy.deniedIps);
  const result: CompiledPolicy = {
    quotas,
    allowed,
    denied,
    origins: policy.allowedOrigins.length > 0 ? compileAllowedOrigins(policy.allowedOrigins) : undefined,
    requireOrigin: policy.requireOrigin,
    serverOnly: policy.serverOnly,
    countsSpans: quotas.some((q) => q.categories.has('span')),
    checksOrigin: policy.allowedOrigins.length > 0 || policy.requireOrigin || policy.serverOnly,
    originVerdicts: new Map(),
    onlyV4: (allowed === undefined || allowed.onlyV4) && (denied === undefined || denied.onlyV4),
    verdicts: new Map(),
  };
  if (compiled.size >= 10_000) compiled.clear();
  compiled.set(memo, result);
  return result;
}

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

function inList(list: BlockList, address: string): boolean {
  const mapped = MAPPED_V4.exec(address);
  if (mapped) return list.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** Whether the client address may use the key: not denied, and allowed when an allow list is set. */
export function addressAllowed(policy: CompiledPolicy, address: string): boolean {
  const { allowed, denied } = policy;
  if (policy.onlyV4) {
    // As cheap as a kept verdict (tens of ns for ten rules), and nothing to keep.
    const n = ipv4Number(address);
    if (n >= 0) return !(denied && denied.hasV4(n)) && (!allowed || allowed.hasV4(n));
  }
  const verdicts = policy.verdicts;
  const known = verdicts.get(address);
  if (known !== undefined) return known;
  const verdict = !(denied && denied.has(address)) && (!allowed || allowed.has(address));
  if (verdicts.size >= ADDRESS_VERDICTS_MAX) verdicts.delete(verdicts.keys().next().value as string);
  verdicts.set(address, verdict);
  return verdict;
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

/**
 * `originAllowed` from the request's Origin and Referer headers. A request with an Origin header is
 * decided by that header alone (the Referer is then not read), so its verdict is kept by the
 * header's text: the URL is parsed once per distinct Origin rather than once per request.
 */
export function requestAllowed(policy: CompiledPolicy, originHeader: string | undefined, refererHeader: string | undefined): boolean {
  if (!originHeader) return originAllowed(policy, originHeader, requestOrigin(originHeader, refererHeader));
  const verdicts = policy.originVerdicts;
  const known = verdicts.get(originHeader);
  if (known !== undefined) return known;
  const verdict = originAllowed(policy, originHeader, requestOrigin(originHeader, refererHeader));
  if (verdicts.size >= ADDRESS_VERDICTS_MAX) verdicts.delete(verdicts.keys().next().value as string);
  verdicts.set(originHeader, verdict);
  return verdict;
}
