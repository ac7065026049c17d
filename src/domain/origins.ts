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

function parseHeaderUrl(value: string | undefined): RequestOrigin | undefined {
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  // Relay matches the URL as rust-url writes it: lowercase host, default port left out.
  return { scheme: url.protocol.slice(0, -1), domain: url.hostname, port: url.port === '' ? null : url.port };
}

export function requestOrigin(origin: string | undefined, referer: string | undefined): RequestOrigin | undefined {
  return parseHeaderUrl(origin) ?? parseHeaderUrl(referer);
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
 * without one always may; otherwise it must match a pattern, and an empty list admits none.
 * `undefined` stands for "every origin", so the common case costs nothing per request.
 */
export type OriginCheck = ((origin: RequestOrigin | undefined) => boolean) | undefined;

export function compileAllowedOrigins(allowed: readonly string[]): OriginCheck {
  const patterns = allowed
    .map((value) => value.toLowerCase().replace(/\/+$/, ''))
    .filter((value) => value !== '')
    .map(parsePattern);
  if (patterns.some((p) => p.scheme === null && p.domain === null && p.port === null)) return undefined;
  return (origin) => origin === undefined || patterns.some((pattern) => matches(pattern, origin));
}
