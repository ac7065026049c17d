/**
 * The organization option `sentry:relay_dsn_endpoint` (getsentry/sentry#118707): the base URL of
 * an organization's own Relay, which every DSN URL of its keys names instead of this server's
 * (all but the JS SDK loader's `cdn`, which only Sentry serves). Set through
 * `PUT /organizations/{org}/` as `relayDsnEndpoint`: an absolute http(s) URL with a host and
 * without credentials, a query or a fragment; blank or null clears it.
 */
type Parsed = { ok: true; value: string | null } | { ok: false; error: string };
const ok = (value: string | null): Parsed => ({ ok: true, value });
const fail = (error: string): Parsed => ({ ok: false, error });

export const RELAY_DSN_ENDPOINT_OPTION = 'sentry:relay_dsn_endpoint';

/** The value to store (null: clear the option), or why it is refused. */
export function parseRelayDsnEndpoint(value: string | null): Parsed {
  const text = value?.trim() ?? '';
  if (text === '') return ok(null);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail('Enter an absolute http or https URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail('Enter an absolute http or https URL.');
  if (!url.hostname) return fail('The URL must include a host.');
  if (url.username || url.password) return fail('The URL must not include credentials.');
  // `?` or `#` alone parse to nothing in WHATWG URLs but are still a query or a fragment.
  if (url.search || url.hash || /[?#]/.test(text)) return fail('The URL must not include a query string or a fragment.');
  return ok(`${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`);
}
