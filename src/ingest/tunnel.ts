/**
 * The tunnel (TUNNEL_PATH): `@sentry/browser`'s `tunnel` option posts envelopes to the site's own
 * server, which must not become an open relay. An envelope is taken only when its header's `dsn`
 * names this server's own ingest host (and path): anything else is refused before any key is
 * looked up, and never forwarded. Which key and project it names is then the gate's to check, as
 * for any envelope that authenticates by its header.
 */
import { ingestFailure, type IngestFailure } from './errors.ts';

export interface TunnelHosts {
  /** `host[:port]` values a DSN of this server may name (INGEST_URL's, PUBLIC_URL's). */
  hosts: ReadonlySet<string>;
  /** With INGEST_ORG_SUBDOMAINS, `o<org id>.` before one of them is this server too. */
  orgSubdomains: boolean;
  /** The ingest URL's path ("" or "/prefix"): the DSN's path before the project id. */
  pathPrefix: string;
}

export function tunnelHosts(ingestUrl: string, publicUrl: string, orgSubdomains: boolean): TunnelHosts {
  const ingest = new URL(ingestUrl);
  return { hosts: new Set([ingest.host, new URL(publicUrl).host]), orgSubdomains, pathPrefix: ingest.pathname.replace(/\/+$/, '') };
}

const ORG_PREFIX = /^o\d{1,20}\./;
const refused = (cause: string) => ingestFailure('bad_envelope_auth', { causes: [cause] });

/** The project id the envelope's DSN names, when that DSN is this server's; else why not. */
export function tunnelTarget(header: Record<string, unknown> | undefined, own: TunnelHosts): { ok: true; projectId: string } | IngestFailure {
  if (!header) return refused('the envelope header is not a JSON object');
  if (typeof header.dsn !== 'string') return ingestFailure('missing_auth');
  let url: URL;
  try {
    url = new URL(header.dsn);
  } catch {
    return refused('invalid dsn');
  }
  const host = own.orgSubdomains ? url.host.replace(ORG_PREFIX, '') : url.host;
  const path = url.pathname.replace(/\/+$/, '');
  const slash = path.lastIndexOf('/');
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !own.hosts.has(host) || path.slice(0, slash) !== own.pathPrefix) {
    return refused('the dsn names another server than this one; the tunnel forwards only to its own projects');
  }
  const projectId = path.slice(slash + 1);
  if (!/^\d{1,15}$/.test(projectId)) return refused('missing project id in dsn');
  return { ok: true, projectId };
}
