/**
 * Signing in over HTTP the way a browser does (the form, its CSRF cookie, the redirect), for tests
 * that use sessions without a browser. Every session id and CSRF token is recorded for the
 * end-of-run secrets check.
 */
import { expect } from 'vitest';
import type { Harness } from './harness.ts';
import { recordSecret } from './secrets.ts';

export interface BrowserSession {
  session: string;
  csrf: string;
  /** Headers a browser sends: the cookies, and for unsafe requests the CSRF token too. */
  headers(unsafe?: boolean): Record<string, string>;
}

/** name → value of every Set-Cookie of a response. */
export function setCookies(response: Response): Map<string, { value: string; attributes: string }> {
  const cookies = new Map<string, { value: string; attributes: string }>();
  for (const line of response.headers.getSetCookie()) {
    const [pair = '', ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    cookies.set(pair.slice(0, eq).trim(), { value: decodeURIComponent(pair.slice(eq + 1).trim()), attributes: attributes.join(';').trim() });
  }
  return cookies;
}

/** The sign-in form's CSRF token, as its cookie and hidden field carry it. */
export async function signInForm(h: Harness, prefix = ''): Promise<{ csrf: string; cookie: string; html: string; response: Response }> {
  const response = await fetch(`${h.baseUrl}/auth/login/`, { redirect: 'manual' });
  const html = await response.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!csrf) throw new Error('no CSRF field in the sign-in form');
  recordSecret(csrf);
  return { csrf, cookie: `${prefix}clientkeys_csrf=${csrf}`, html, response };
}

/** POST the sign-in form as a browser would. */
export function postSignIn(h: Harness, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${h.baseUrl}/auth/login/`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

export function browserSession(session: string, csrf: string, prefix = ''): BrowserSession {
  recordSecret(session);
  recordSecret(csrf);
  return {
    session,
    csrf,
    headers: (unsafe = false) => ({
      cookie: `${prefix}clientkeys_session=${session}; ${prefix}clientkeys_csrf=${csrf}`,
      ...(unsafe ? { 'x-csrftoken': csrf } : {}),
    }),
  };
}

/** Sign in with the form; the session's cookies. */
export async function signIn(h: Harness, email: string, password: string, prefix = ''): Promise<BrowserSession> {
  const form = await signInForm(h, prefix);
  const response = await postSignIn(h, { email, password, csrf: form.csrf }, { cookie: form.cookie });
  expect(response.status, `sign-in of ${email}`).toBe(303);
  const cookies = setCookies(response);
  const session = cookies.get(`${prefix}clientkeys_session`)?.value;
  const csrf = cookies.get(`${prefix}clientkeys_csrf`)?.value;
  if (!session || !csrf) throw new Error('sign-in set no session cookies');
  return browserSession(session, csrf, prefix);
}
