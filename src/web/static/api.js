// @ts-check
/**
 * clientkeys' API as the page calls it: with the browser's session cookie, exactly as any other
 * client. Unsafe requests carry the session's CSRF token (from its cookie) in `X-CSRFToken`.
 */

/** The path prefix the server is served under (PUBLIC_URL's path), from the page's meta tag. */
export const base = document.querySelector('meta[name="clientkeys-base"]')?.getAttribute('content') ?? '';

export const enc = encodeURIComponent;

export class ApiError extends Error {
  /** @param {number} status @param {any} body */
  constructor(status, body) {
    super(describeError(status, body));
    this.status = status;
    this.body = body;
  }
}

/** The session's CSRF token, from its cookie (`__Host-` prefixed over HTTPS). */
export function csrfToken() {
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === '__Host-clientkeys_csrf' || name === 'clientkeys_csrf') return decodeURIComponent(rest.join('='));
  }
  return '';
}

/** A readable message from Sentry's error bodies: `{detail}`, DRF's field errors, or a bare string. */
export function describeError(/** @type {number} */ status, /** @type {any} */ body) {
  if (typeof body === 'string') return body;
  if (body && typeof body.detail === 'string') return body.detail;
  if (body && typeof body === 'object') {
    const parts = Object.entries(body).map(([field, messages]) => `${field}: ${flatMessages(messages)}`);
    if (parts.length) return parts.join('; ');
  }
  return `The server answered ${status}.`;
}

/** DRF's messages for one field (a list, or an object of them per list item or sub-field) as one text. */
export function flatMessages(/** @type {any} */ value) {
  /** @type {(v: any) => string} */
  const flat = (v) => (Array.isArray(v) ? v.map(flat).join(' ') : typeof v === 'object' && v ? Object.values(v).map(flat).join(' ') : String(v));
  return flat(value);
}

/**
 * @param {string} method
 * @param {string} path under /api/0/
 * @param {unknown} [body]
 * @returns {Promise<{ json: any, link: string | null }>}
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRFToken'] = csrfToken();
  const response = await fetch(`${base}/api/0/${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  if (response.status === 401) {
    // The session ended (expired, signed out elsewhere): sign in again and come back.
    location.assign(`${base}/auth/login/?next=${encodeURIComponent(location.pathname + location.search)}`);
  }
  if (!response.ok) throw new ApiError(response.status, json);
  return { json, link: response.headers.get('link') };
}

/** Every page of a list, following the `Link` header's next cursor. */
export async function listAll(/** @type {string} */ path) {
  const results = [];
  let cursor = '';
  for (let page = 0; page < 100; page += 1) {
    const separator = path.includes('?') ? '&' : '?';
    const { json, link } = await api('GET', cursor ? `${path}${separator}cursor=${encodeURIComponent(cursor)}` : path);
    results.push(...json);
    const next = /<[^>]*>;\s*rel="next";\s*results="true";\s*cursor="([^"]*)"/.exec(link ?? '');
    if (!next) break;
    cursor = next[1] ?? '';
  }
  return results;
}

/* Per-key requests a few at a time, so a project with many keys does not hit the API's rate limit. */
let running = 0;
/** @type {Array<() => void>} */
const waiting = [];
export async function limited(/** @type {() => Promise<any>} */ task) {
  if (running >= 4) await new Promise((resolve) => waiting.push(() => resolve(undefined)));
  running += 1;
  try {
    return await task();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}
