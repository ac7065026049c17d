/**
 * A project's allowed domains (`allowedDomains`, Sentry's `sentry:origins` option): which values the
 * API accepts (Sentry's OriginField), and which browser origins the DSN endpoints then admit
 * (Relay's `matches_any_origin` over `SchemeDomainPort` patterns, relay-filter/src/csp.rs).
 *
 * A pattern is `scheme://domain:port` where any part may be left out or be `*`:
 * `*` admits everything, `*.example.com` admits example.com and its subdomains,
 * `https://example.com` only that scheme, `*:8080` any host on that port.
 */
import { domainToASCII } from 'node:url';

/** Sentry's default: every origin. */
export const ANY_ORIGIN = ['*'] as const;

/**
 * The text without its trailing slashes, in one backward pass. (`/\/+$/` is quadratic in V8 on a
 * long run of slashes that is not at the end: each start position scans the run again.)
 */
export function trimTrailingSlashes(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x2f) end--;
  return end === text.length ? text : text.slice(0, end);
}

/**
 * OriginField.is_valid_origin (S:src/sentry/api/serializers/rest_framework/origin.py): `*`, or a
 * pattern whose domain has no port (Sentry's matching expressions do not support ports) and is a
 * name IDNA can encode (Sentry would fail on one it cannot; clientkeys refuses it).
 */
export function isAcceptableOrigin(value: string): boolean {
  if (value === '*') return true;
  const afterScheme = value.includes('://') ? value.slice(value.indexOf('://') + 3) : value;
  const domain = afterScheme.split('/', 1)[0]!;
  if (domain.includes(':')) return false;
  // Python's IDNA codec: labels of 1-63 characters (the last may be empty: a trailing dot).
  const labels = domain.split('.');
  if (labels.some((label, i) => label.length > 63 || (label === '' && i < labels.length - 1))) return false;
  if (/^[\x00-\x7f]*$/.test(domain)) return true;
  // A wildcard label is not IDNA; the rest of the name must be.
  return domainToASCII(domain.replace(/^\*\./, '')) !== '';
}

interface Pattern {
  scheme: string | null;
  domain: string | null;
  port: string | null;
}

/** Relay's SchemeDomainPort::from: `*` (or an absent part) matches anything, everything else lowercased. */
function parsePattern(text: string): Pattern {
  const part = (value: string): string | null => (value === '*' ? null : value.toLowerCase());
  const schemeEnd = text.indexOf('://');
  const scheme = schemeEnd >= 0 ? part(text.slice(0, schemeEnd)) : null;
  const rest = schemeEnd >= 0 ? text.slice(schemeEnd + 3) : text;
  const slash = rest.indexOf('/');
  const hostPort = slash >= 0 ? rest.slice(0, slash) : rest;
  const colon = hostPort.indexOf(':');
  if (colon < 0) return { scheme, domain: part(hostPort), port: null };
  return { scheme, domain: part(hostPort.slice(0, colon)), port: part(hostPort.slice(colon + 1)) };
}

/** Where a browser request comes from, as Relay reads it: an http(s) Origin, else an http(s) Referer. */
export interface RequestOrigin {
  scheme: string;
  domain: string;
  port: string | null;
}

/**
 * `undefined`: the request names no origin (a server-side SDK). `null`: it names one that cannot
 * be matched: `Origin: null` (a sandboxed iframe, a file: page), a non-http(s) URL, or garbage.
 */
export type RequestOriginValue = RequestOrigin | undefined | null;

function parseHeaderUrl(value: string): RequestOrigin | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  // Relay matches the URL as rust-url writes it: lowercase host, default port left out.
  return { scheme: url.protocol.slice(0, -1), domain: url.hostname, port: url.port === '' ? null : url.port };
}

/**
 * The Origin header when present, else the Referer. Stricter than Relay on purpose: Relay reads an
 * unusable Origin as none and lets it through; here it is an origin that matches no pattern, so a
 * sandboxed iframe cannot get around a project's list.
 */
export function requestOrigin(origin: string | undefined, referer: string | undefined): RequestOriginValue {
  if (origin) return parseHeaderUrl(origin);
  if (referer) return parseHeaderUrl(referer);
  return undefined;
}

function matches(pattern: Pattern, origin: RequestOrigin): boolean {
  if (pattern.scheme !== null && pattern.scheme !== origin.scheme) return false;
  if (pattern.port !== null && pattern.port !== origin.port) return false;
  if (pattern.domain === null || pattern.domain === origin.domain) return true;
  // `*.example.com` admits example.com and every name under it.
  return pattern.domain.startsWith('*') && (origin.domain.endsWith(pattern.domain.slice(1)) || origin.domain === pattern.domain.slice(2));
}

/**
 * Whether a request with this origin may send events (ProjectInfo::is_valid_origin): a request
 * without one always may; one whose origin cannot be matched never may; otherwise it must match a
 * pattern, and an empty list admits none. `undefined` stands for "every origin", so the common
 * case costs nothing per request.
 */
export type OriginCheck = ((origin: RequestOriginValue) => boolean) | undefined;

export function compileAllowedOrigins(allowed: readonly string[]): OriginCheck {
  const patterns = allowed
    .map((value) => trimTrailingSlashes(value.toLowerCase()))
    .filter((value) => value !== '')
    .map(parsePattern);
  if (patterns.some((p) => p.scheme === null && p.domain === null && p.port === null)) return undefined;
  return (origin) => origin === undefined || (origin !== null && patterns.some((pattern) => matches(pattern, origin)));
}
