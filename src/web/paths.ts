/**
 * Where the web page lives. PUBLIC_URL is the address browsers reach clientkeys at; when it has a
 * path (a proxy serving clientkeys under a prefix), every link the pages hand out starts with it.
 */

/** PUBLIC_URL's path without a trailing slash: "" at a host's root, "/keys" under a prefix. */
export function basePath(publicUrl: string): string {
  return new URL(publicUrl).pathname.replace(/\/+$/, '');
}

const PROBE_ORIGIN = 'http://clientkeys.invalid';

/**
 * Where to send a browser after it signs in: `next` when it is a path of this site's pages, else
 * the settings index. Never another host (`//evil.example`, `/\evil.example`), never back to sign-in.
 */
export function safeNextPath(next: unknown, base: string): string {
  const fallback = `${base}/settings/`;
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return fallback;
  if (/[\u0000-\u001f\u007f]/.test(next)) return fallback;
  let url: URL;
  try {
    url = new URL(next, PROBE_ORIGIN);
  } catch {
    return fallback;
  }
  if (url.origin !== PROBE_ORIGIN) return fallback;
  // Checked on the resolved path: `/settings/..//evil.example` resolves to `//evil.example`,
  // which a browser reads as another host.
  if (url.pathname.startsWith('//') || url.pathname.includes('\\')) return fallback;
  if (!url.pathname.startsWith(`${base}/`) || url.pathname.startsWith(`${base}/auth/`)) return fallback;
  return url.pathname + url.search;
}
