/**
 * A backend's DSN, as a project names its upstream (`upstreamDsn`):
 * `http(s)://<32-hex public key>[:<secret>]@host[:port][/path]/<project id>`, the shape every Sentry
 * SDK parses (sentry-javascript's `dsnFromString`, relay-common's `Dsn`). The path before the
 * project id is kept: a backend served under a prefix gets its requests under that prefix.
 */
import { KEY_PATTERN } from './keys.ts';

export interface Dsn {
  scheme: 'http' | 'https';
  /** As in a URL: a name, an IPv4 address, or a bracketed IPv6 address. */
  hostname: string;
  port: string;
  /** "" or "/prefix" (no trailing slash). */
  pathPrefix: string;
  publicKey: string;
  secretKey: string | undefined;
  projectId: string;
}

export type DsnResult = { ok: true; dsn: Dsn } | { ok: false; error: string };

const SHAPE = 'a DSN: http(s)://<32-hex public key>[:<secret>]@host[:port][/path]/<project id>';
const PROJECT_ID = /^\d{1,15}$/;
const MAX_DSN_LENGTH = 1000;

export function parseDsn(text: string): DsnResult {
  const fail = (why: string): DsnResult => ({ ok: false, error: `Enter ${SHAPE} (${why}).` });
  if (text.length > MAX_DSN_LENGTH) return fail(`at most ${MAX_DSN_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return fail('not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail('the scheme must be http or https');
  if (url.search || url.hash) return fail('no query or fragment');
  if (!KEY_PATTERN.test(url.username.toLowerCase())) return fail('the public key must be 32 hexadecimal characters');
  const secret = url.password === '' ? undefined : decodeURIComponent(url.password);
  if (secret !== undefined && !KEY_PATTERN.test(secret.toLowerCase())) return fail('the secret key must be 32 hexadecimal characters');
  const path = url.pathname.replace(/\/$/, '');
  const slash = path.lastIndexOf('/');
  const projectId = path.slice(slash + 1);
  if (!PROJECT_ID.test(projectId)) return fail('the path must end in the project id');
  return {
    ok: true,
    dsn: {
      scheme: url.protocol === 'https:' ? 'https' : 'http',
      hostname: url.hostname,
      port: url.port,
      pathPrefix: path.slice(0, slash),
      publicKey: url.username.toLowerCase(),
      secretKey: secret?.toLowerCase(),
      projectId,
    },
  };
}

/** `host[:port]`, as the API shows an upstream (never its keys). */
export function dsnHost(dsn: Dsn): string {
  return dsn.port ? `${dsn.hostname}:${dsn.port}` : dsn.hostname;
}

/** The DSN without its secret, as SDKs put it in an envelope header. */
export function publicDsn(dsn: Dsn): string {
  return `${dsn.scheme}://${dsn.publicKey}@${dsnHost(dsn)}${dsn.pathPrefix}/${dsn.projectId}`;
}

/** `scheme://host[:port][/prefix]/api/<project id>/`: where the backend's DSN endpoints are. */
export function dsnApiBase(dsn: Dsn): string {
  return `${dsn.scheme}://${dsnHost(dsn)}${dsn.pathPrefix}/api/${dsn.projectId}/`;
}
