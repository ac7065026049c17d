/**
 * An accepted DSN request, rewritten for the project's backend: the backend's project id in the
 * path and the backend's public key wherever the client's key was (`sentry_key` in the query,
 * `X-Sentry-Auth`, `Authorization`, the unreal/cron path segment, the envelope header's `dsn` and
 * `trace.public_key`). Any `sentry_secret` is dropped: nothing of the client's key or secret
 * reaches the backend. The body goes decoded (its Content-Encoding undone by the gate).
 */
import { dsnApiBase, publicDsn, type Dsn } from '../domain/dsn.ts';
import type { Envelope } from '../domain/envelope.ts';

export interface Outbound {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

export interface Inbound {
  method: string;
  /** The path as routed (origin form, no query): `/api/42/envelope/`, `/api/store/`. */
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  /** The `{sentry_key}` path segment of the unreal and cron endpoints. */
  pathKey: string | undefined;
  /** Lowercase names. */
  headers: Record<string, string | undefined>;
  /** What goes on as X-Forwarded-For (see TrustedProxies). */
  forwardedFor: string;
  /** Decoded. */
  body: Buffer;
  /** The body parsed as an envelope, when it is one. */
  envelope: Envelope | undefined;
  /** Indexes of envelope items not to send (refused by a rate limit). */
  dropItems: ReadonlySet<number> | undefined;
}

/** Headers that say what the body is and where it came from; auth is rewritten, hop-by-hop stays. */
const PASSED_HEADERS = ['content-type', 'user-agent', 'origin', 'referer'] as const;

export function toUpstream(inbound: Inbound, upstream: Dsn): Outbound {
  const headers: Record<string, string> = {};
  for (const name of PASSED_HEADERS) {
    const value = inbound.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  const auth = inbound.headers['x-sentry-auth'];
  if (auth !== undefined && isSentryScheme(auth)) headers['x-sentry-auth'] = sentryAuthHeader(auth, upstream.publicKey);
  const authorization = inbound.headers.authorization;
  if (authorization !== undefined) {
    if (isSentryScheme(authorization)) headers.authorization = sentryAuthHeader(authorization, upstream.publicKey);
    else if (/^basic /i.test(authorization)) headers.authorization = `Basic ${Buffer.from(`${upstream.publicKey}:`).toString('base64')}`;
  }
  headers['x-forwarded-for'] = inbound.forwardedFor;
  const query = rewriteQuery(inbound.query, upstream.publicKey);
  const url = `${dsnApiBase(upstream)}${upstreamSuffix(inbound.path, inbound.pathKey, upstream.publicKey)}${query ? `?${query}` : ''}`;
  const body = inbound.envelope ? rewriteEnvelope(inbound.body, inbound.envelope, upstream, inbound.dropItems) : inbound.body;
  return { url, method: inbound.method, headers, body: inbound.method === 'GET' ? undefined : body };
}

const isSentryScheme = (value: string) => value.length >= 7 && value.slice(0, 7).toLowerCase() === 'sentry ';

/** What follows `/api/<project id>/` (or `/api/` on the legacy store path), the path key replaced. */
function upstreamSuffix(path: string, pathKey: string | undefined, publicKey: string): string {
  const match = /^\/api\/(?:\d+\/)?(.*)$/.exec(path);
  const suffix = match?.[1] ?? '';
  if (pathKey === undefined || pathKey === '') return suffix;
  return suffix
    .split('/')
    .map((segment) => (segment === pathKey ? publicKey : segment))
    .join('/');
}

/** `sentry_key` → the backend's key, `sentry_secret` dropped, every other pair kept as it came. */
function rewriteQuery(query: string, publicKey: string): string {
  if (!query.includes('sentry_')) return query;
  const pairs: string[] = [];
  for (const pair of query.split('&')) {
    const name = decodeName(pair.split('=', 1)[0] ?? '');
    if (name === 'sentry_secret') continue;
    pairs.push(name === 'sentry_key' ? `sentry_key=${publicKey}` : pair);
  }
  return pairs.join('&');
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replaceAll('+', ' '));
  } catch {
    return name;
  }
}

/** `Sentry sentry_key=…, sentry_secret=…, …` with the backend's key and no secret. */
function sentryAuthHeader(value: string, publicKey: string): string {
  const space = value.indexOf(' ');
  const pairs: string[] = [];
  for (const item of value.slice(space + 1).split(',')) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    const name = trimmed.split('=', 1)[0]!.trim();
    if (name === 'sentry_secret') continue;
    pairs.push(name === 'sentry_key' ? `sentry_key=${publicKey}` : trimmed);
  }
  return `Sentry ${pairs.join(', ')}`;
}

/**
 * The envelope with the backend's DSN and key in its header (where the client had them) and
 * without the dropped items; the items themselves are copied byte for byte.
 */
export function rewriteEnvelope(body: Buffer, envelope: Envelope, upstream: Dsn, dropItems: ReadonlySet<number> | undefined): Buffer {
  const header: Record<string, unknown> = { ...envelope.headers };
  if (typeof header.dsn === 'string') header.dsn = publicDsn(upstream);
  const trace = header.trace;
  if (trace && typeof trace === 'object' && !Array.isArray(trace) && 'public_key' in trace) {
    header.trace = { ...(trace as Record<string, unknown>), public_key: upstream.publicKey };
  }
  const parts: Buffer[] = [Buffer.from(JSON.stringify(header))];
  if (!dropItems || dropItems.size === 0) {
    parts.push(body.subarray(envelope.headerEnd));
  } else {
    envelope.items.forEach((item, index) => {
      if (dropItems.has(index)) return;
      parts.push(Buffer.from('\n'), body.subarray(item.headerStart, item.payloadEnd));
    });
    parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/**
 * FORWARD_URL: the request as it came (its body still encoded, its auth untouched), to the same
 * path under the forward URL. The path is the one routed, never the raw request target, so an
 * absolute-form target (`POST http://elsewhere/api/1/store/`) cannot change the host.
 */
export function toForwardUrl(forwardBase: string, path: string, query: string, inbound: { method: string; headers: Record<string, string | undefined>; forwardedFor: string; rawBody: Buffer }): Outbound | undefined {
  const base = new URL(forwardBase);
  const target = new URL(`${forwardBase.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}${query ? `?${query}` : ''}`);
  if (target.origin !== base.origin) return undefined;
  const headers: Record<string, string> = {};
  for (const name of [...PASSED_HEADERS, 'content-encoding', 'x-sentry-auth', 'authorization']) {
    const value = inbound.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  headers['x-forwarded-for'] = inbound.forwardedFor;
  return { url: target.toString(), method: inbound.method, headers, body: inbound.method === 'GET' ? undefined : inbound.rawBody };
}
