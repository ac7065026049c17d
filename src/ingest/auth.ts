/**
 * Which client key a request claims, read as Relay reads it (relay-server
 * extractors/request_meta.rs `auth_from_parts`; sentry-types `Auth::from_str`): the
 * `X-Sentry-Auth` header, `Authorization: Sentry …`, `Authorization: Basic`, the `sentry_*` query
 * parameters, then a key in the path. More than one is an error; none leaves the envelope
 * header's `dsn` as the last resort. Nothing here looks a key up: it only parses.
 */
import { ingestFailure, type IngestFailure } from './errors.ts';

/** Relay's PROTOCOL_VERSION: clients may speak it or older. */
export const PROTOCOL_VERSION = 7;

export interface ClientAuth {
  ok: true;
  publicKey: string;
  version: number;
  client: string | undefined;
}

export type AuthResult = ClientAuth | IngestFailure;

export interface AuthSources {
  xSentryAuth: string | undefined;
  authorization: string | undefined;
  /** The raw query string, without `?`. */
  query: string;
  /** The `{sentry_key}` path segment of the unreal and cron endpoints. */
  pathKey: string | undefined;
}

interface ParsedAuth {
  key: string;
  version: number;
  client: string | undefined;
}

type Parsed = { ok: true; auth: ParsedAuth } | IngestFailure;

const badAuth = (cause: string) => ingestFailure('bad_auth', { causes: [cause] });

/** `Auth::from_pairs`: known keys only, the version's integer part, a key required. */
function fromPairs(pairs: Iterable<[string, string]>): Parsed {
  let key = '';
  let version = PROTOCOL_VERSION;
  let client: string | undefined;
  for (const [name, value] of pairs) {
    switch (name) {
      case 'sentry_key':
        key = value;
        break;
      case 'sentry_version': {
        const major = value.split('.', 1)[0] ?? '';
        if (!/^\d+$/.test(major) || Number(major) > 65535) return badAuth('invalid value for version');
        version = Number(major);
        break;
      }
      case 'sentry_client':
        client = value;
        break;
      default:
        // sentry_secret and sentry_timestamp are read by Relay but play no part in authentication.
        break;
    }
  }
  if (key === '') return badAuth('missing public key in auth header');
  return { ok: true, auth: { key, version, client } };
}

/** `Sentry sentry_key=…, sentry_version=7, …`: split on commas, then on `=`, trimmed. */
function fromHeader(value: string): Parsed {
  const space = value.indexOf(' ');
  const items = space < 0 ? '' : value.slice(space + 1);
  const pairs: [string, string][] = [];
  for (const item of items.split(',')) {
    const parts = item.trim().split('=');
    if (parts.length >= 2) pairs.push([(parts[0] as string).trim(), (parts[1] as string).trim()]);
  }
  return fromPairs(pairs);
}

/** `application/x-www-form-urlencoded` decoding, lenient as URLSearchParams is with bad escapes. */
function formDecode(value: string): string {
  if (!value.includes('%') && !value.includes('+')) return value;
  const spaced = value.replaceAll('+', ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return new URLSearchParams(`x=${value}`).get('x') ?? spaced;
  }
}

/** The query's pairs, decoded; cheaper than URLSearchParams for the few keys SDKs send. */
function queryPairs(query: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    pairs.push(eq < 0 ? [formDecode(part), ''] : [formDecode(part.slice(0, eq)), formDecode(part.slice(eq + 1))]);
  }
  return pairs;
}

/** Only headers beginning with "sentry " (any case) count; anything else is not a Sentry credential. */
function sentryHeader(value: string | undefined): string | undefined {
  return value !== undefined && value.length >= 7 && value.slice(0, 7).toLowerCase() === 'sentry ' ? value : undefined;
}

/** `Authorization: Basic base64(key:…)`; an undecodable value is no credential at all, as in Relay. */
function basicKey(value: string | undefined): string | undefined {
  if (value === undefined || value.length < 6 || value.slice(0, 6).toLowerCase() !== 'basic ') return undefined;
  const encoded = value.slice(6);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(encoded, 'base64');
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (text.includes('\uFFFD')) return undefined;
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : text.slice(0, colon);
}

/** `ProjectKey::parse_with_flags`: 32 ASCII characters, optionally followed by `.flag`s. */
function checkKey(auth: ParsedAuth): AuthResult {
  const [key = ''] = auth.key.split('.', 1);
  if (key.length !== 32 || !/^[\x00-\x7f]*$/.test(key)) return ingestFailure('bad_public_key', { causes: ['invalid project key'] });
  if (auth.version > PROTOCOL_VERSION) {
    return ingestFailure('unsupported_version', { detail: `unsupported protocol version (${auth.version})` });
  }
  return { ok: true, publicKey: key, version: auth.version, client: auth.client };
}

/** The request's own credential; `missing_auth` when it carries none. */
export function authFromRequest(sources: AuthSources): AuthResult {
  let found: Parsed | undefined;
  const claim = (next: () => Parsed): IngestFailure | undefined => {
    if (found) return ingestFailure('multiple_auth');
    found = next();
    return found.ok ? undefined : found;
  };

  const xSentry = sentryHeader(sources.xSentryAuth);
  if (xSentry !== undefined) {
    const failed = claim(() => fromHeader(xSentry));
    if (failed) return failed;
  }
  const authorization = sentryHeader(sources.authorization);
  if (authorization !== undefined) {
    const failed = claim(() => fromHeader(authorization));
    if (failed) return failed;
  }
  const basic = basicKey(sources.authorization);
  if (basic !== undefined) {
    const failed = claim(() => fromPairs([['sentry_key', basic]]));
    if (failed) return failed;
  }
  if (sources.query.includes('sentry_')) {
    const failed = claim(() => fromPairs(queryPairs(sources.query)));
    if (failed) return failed;
  }
  if (sources.pathKey !== undefined) {
    const pathKey = sources.pathKey;
    const failed = claim(() => (pathKey === '' ? ingestFailure('missing_auth') : fromPairs([['sentry_key', pathKey]])));
    if (failed) return failed;
  }
  if (!found) return ingestFailure('missing_auth');
  return found.ok ? checkKey(found.auth) : found;
}

/**
 * The envelope header's `dsn` (Relay's `EnvelopeParams`), used only when the request carries no
 * credential: the first line of the body as JSON, the DSN's user name as the key.
 */
export function authFromEnvelopeHeader(header: Record<string, unknown> | undefined): AuthResult {
  if (!header) return ingestFailure('bad_envelope_auth', { causes: ['the envelope header is not a JSON object'] });
  const dsn = header.dsn;
  if (dsn === undefined || dsn === null) return ingestFailure('missing_auth');
  if (typeof dsn !== 'string') return ingestFailure('bad_envelope_auth', { causes: ['dsn must be a string'] });
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    return ingestFailure('bad_envelope_auth', { causes: ['invalid dsn'] });
  }
  const projectId = url.pathname.split('/').pop() ?? '';
  if (!url.username) return ingestFailure('bad_envelope_auth', { causes: ['no username in dsn'] });
  if (!/^\d+$/.test(projectId)) return ingestFailure('bad_envelope_auth', { causes: ['missing project id in dsn'] });
  let key: string;
  try {
    key = decodeURIComponent(url.username);
  } catch {
    return ingestFailure('bad_envelope_auth', { causes: ['invalid dsn'] });
  }
  return checkKey({ key, version: PROTOCOL_VERSION, client: undefined });
}
