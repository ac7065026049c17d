/**
 * Sign-in sessions over HTTP, as a browser uses them: the form and its CSRF token, the cookies'
 * flags, the session as the API's last authenticator (with CSRF on unsafe methods), sign-out,
 * and what ends a session.
 */
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/domain/tokens.ts';
import { browserSession, postSignIn, setCookies, signIn, signInForm } from './helpers/browser-session.ts';
import { request, Seed, startHarness, startOrg } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

const OWNER_PASSWORD = 'owner password, quite long';
const MEMBER_PASSWORD = 'member password, quite long';

const t = suiteFixture(async (onCleanup) => {
  const { h, seed, org } = await startOrg();
  onCleanup(() => h.close());
  const team = await seed.team(org, 'backend');
  const project = await seed.project(org, 'web', team);
  const owner = await seed.user('owner@acme.example', { password: OWNER_PASSWORD });
  await seed.member(org, owner, 'owner', team);
  const member = await seed.user('member@acme.example', { password: MEMBER_PASSWORD });
  await seed.member(org, member, 'member', team);
  const keysPath = `/api/0/projects/${org.slug}/${project.slug}/keys/`;
  return { h, seed, org, project, owner, keysPath };
});

describe('the sign-in form', () => {
  it('has labelled Email and Password fields, a Sign in button and a CSRF token in a cookie and a field', async () => {
    const form = await signInForm(t.h);
    expect(form.response.status).toBe(200);
    expect(form.response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(form.html).toMatch(/<label for="email">Email<\/label>/);
    expect(form.html).toMatch(/<input id="email" name="email" type="email"/);
    expect(form.html).toMatch(/<label for="password">Password<\/label>/);
    expect(form.html).toMatch(/<input id="password" name="password" type="password"/);
    expect(form.html).toMatch(/<button type="submit"[^>]*>Sign in<\/button>/);
    const cookie = setCookies(form.response).get('clientkeys_csrf');
    expect(cookie?.value).toBe(form.csrf);
    expect(cookie?.attributes).toMatch(/Path=\//);
    expect(cookie?.attributes).toMatch(/SameSite=Lax/);
    // The page's script must read it to send it back; a session-lifetime cookie.
    expect(cookie?.attributes).not.toMatch(/HttpOnly|Expires|Secure/);
  });

  it('carries the security headers: a CSP without inline script, no framing, no sniffing', async () => {
    const { response, html } = await signInForm(t.h);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('same-origin');
    expect(response.headers.get('cache-control')).toBe('no-store');
    // Over plain HTTP there is no HSTS.
    expect(response.headers.get('strict-transport-security')).toBeNull();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/\sstyle=/);
  });

  it('signs in: a new session in HttpOnly, SameSite cookies, and a redirect to where the browser was going', async () => {
    const form = await signInForm(t.h);
    const next = `/settings/${t.org.slug}/projects/${t.project.slug}/keys/?from=test`;
    const response = await postSignIn(t.h, { email: 'Owner@Acme.example ', password: OWNER_PASSWORD, csrf: form.csrf, next }, { cookie: form.cookie });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(next);
    const cookies = setCookies(response);
    const session = cookies.get('clientkeys_session');
    const csrf = cookies.get('clientkeys_csrf');
    expect(session && csrf).toBeTruthy();
    browserSession(session!.value, csrf!.value);
    expect(session!.attributes).toMatch(/HttpOnly/);
    expect(session!.attributes).toMatch(/SameSite=Lax/);
    expect(session!.attributes).toMatch(/Path=\//);
    expect(session!.attributes).not.toMatch(/Secure/);
    const expires = Date.parse(/Expires=([^;]+)/.exec(session!.attributes)?.[1] ?? '');
    expect(expires - Date.now()).toBeGreaterThan(335 * 3600 * 1000);
    expect(expires - Date.now()).toBeLessThanOrEqual(336 * 3600 * 1000);
    // A new CSRF token for the session, readable by the page's script.
    expect(csrf!.value).not.toBe(form.csrf);
    expect(csrf!.attributes).not.toMatch(/HttpOnly/);
    // Stored only as hashes.
    const rows = await t.h.db.kysely.selectFrom('sessions').selectAll().execute();
    const row = rows.find((r) => r.token_hash === sha256Hex(session!.value));
    expect(row).toMatchObject({ user_id: t.owner.id, csrf_hash: sha256Hex(csrf!.value) });
    expect(JSON.stringify(rows)).not.toContain(session!.value);
    expect(JSON.stringify(rows)).not.toContain(csrf!.value);
  });

  it('refuses a wrong password, an unknown email and an empty form alike, setting no session', async () => {
    const passwordless = await t.seed.user('nopassword@acme.example');
    for (const [email, password] of [
      ['owner@acme.example', 'not the password at all'],
      ['nobody@acme.example', OWNER_PASSWORD],
      [passwordless.email, ''],
      ['', ''],
    ] as const) {
      const form = await signInForm(t.h);
      const response = await postSignIn(t.h, { email, password, csrf: form.csrf }, { cookie: form.cookie });
      const html = await response.text();
      expect(response.status, email).toBe(400);
      expect(html).toContain('Please enter a correct email and password.');
      expect(html).toContain('role="alert"');
      expect(setCookies(response).has('clientkeys_session')).toBe(false);
      // The email is kept, the password is not echoed.
      if (email) expect(html).toContain(`value="${email}"`);
      if (password) expect(html).not.toContain(password);
    }
  });

  it('treats odd fields (too long, not text) as wrong credentials, not as a CSRF failure', async () => {
    const form = await signInForm(t.h);
    const long = await postSignIn(t.h, { email: `${'a'.repeat(300)}@acme.example`, password: 'x'.repeat(5000), csrf: form.csrf }, { cookie: form.cookie });
    expect(long.status).toBe(400);
    expect(await long.text()).toContain('Please enter a correct email and password.');
    const json = await fetch(`${t.h.baseUrl}/auth/login/`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/json', cookie: form.cookie },
      body: JSON.stringify({ email: 'owner@acme.example', password: { $ne: null }, csrf: form.csrf }),
    });
    expect(json.status).toBe(400);
    expect(setCookies(json).has('clientkeys_session')).toBe(false);
  });

  it('refuses a form without its CSRF token, with a wrong one, without the cookie, or from another origin', async () => {
    const form = await signInForm(t.h);
    const fields = { email: 'owner@acme.example', password: OWNER_PASSWORD };
    const cases: Array<[Record<string, string>, Record<string, string>, string]> = [
      [fields, { cookie: form.cookie }, 'CSRF Failed: CSRF token missing.'],
      [{ ...fields, csrf: 'x'.repeat(43) }, { cookie: form.cookie }, 'CSRF Failed: CSRF token incorrect.'],
      [{ ...fields, csrf: form.csrf }, {}, 'CSRF Failed: CSRF cookie not set.'],
      [
        { ...fields, csrf: form.csrf },
        { cookie: form.cookie, origin: 'https://evil.example' },
        'CSRF Failed: Origin checking failed - https://evil.example does not match any trusted origins.',
      ],
    ];
    for (const [body, headers, message] of cases) {
      const response = await postSignIn(t.h, body, headers);
      expect(response.status, message).toBe(403);
      expect(await response.text()).toContain(message);
      expect(setCookies(response).has('clientkeys_session')).toBe(false);
    }
    // The server's own origin passes.
    const ok = await postSignIn(t.h, { ...fields, csrf: form.csrf }, { cookie: form.cookie, origin: t.h.baseUrl });
    expect(ok.status).toBe(303);
    const cookies = setCookies(ok);
    browserSession(cookies.get('clientkeys_session')!.value, cookies.get('clientkeys_csrf')!.value);
  });

  /** Paths that look local but resolve, once their dot segments are applied, to `//evil.example/…`. */
  const RESOLVING_TO_ANOTHER_HOST = ['/settings/..//evil.example/x', '/settings/%2e%2e//evil.example/x', '/a/b/../..//evil.example'];

  it('never redirects to another site after sign-in', async () => {
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example', '/auth/login/', 'javascript:alert(1)', '/%0d%0aX: y', ...RESOLVING_TO_ANOTHER_HOST]) {
      const form = await signInForm(t.h);
      const response = await postSignIn(t.h, { email: 'owner@acme.example', password: OWNER_PASSWORD, csrf: form.csrf, next }, { cookie: form.cookie });
      expect(response.status, next).toBe(303);
      const location = response.headers.get('location') ?? '';
      expect(location.startsWith('/') && !location.startsWith('//'), `${next} → ${location}`).toBe(true);
      expect(location).not.toContain('evil');
      const cookies = setCookies(response);
      browserSession(cookies.get('clientkeys_session')!.value, cookies.get('clientkeys_csrf')!.value);
    }
  });

  it('never sends a signed-in browser to another site from the sign-in page', async () => {
    const session = await signIn(t.h, 'owner@acme.example', OWNER_PASSWORD);
    for (const next of RESOLVING_TO_ANOTHER_HOST) {
      const response = await fetch(`${t.h.baseUrl}/auth/login/?next=${encodeURIComponent(next)}`, { redirect: 'manual', headers: session.headers() });
      expect(response.status, next).toBe(302);
      expect(response.headers.get('location'), next).toBe('/settings/');
    }
  });

  it('sends a signed-in browser on from the sign-in page', async () => {
    const session = await signIn(t.h, 'owner@acme.example', OWNER_PASSWORD);
    const response = await fetch(`${t.h.baseUrl}/auth/login/?next=${encodeURIComponent('/settings/')}`, { redirect: 'manual', headers: session.headers() });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/settings/');
  });

  it('starts a new session on every sign-in and ends the one the browser had', async () => {
    const first = await signIn(t.h, 'owner@acme.example', OWNER_PASSWORD);
    const form = await signInForm(t.h);
    const response = await postSignIn(t.h, { email: 'owner@acme.example', password: OWNER_PASSWORD, csrf: form.csrf }, { cookie: `clientkeys_session=${first.session}; ${form.cookie}` });
    expect(response.status).toBe(303);
    const cookies = setCookies(response);
    const second = browserSession(cookies.get('clientkeys_session')!.value, cookies.get('clientkeys_csrf')!.value);
    expect(second.session).not.toBe(first.session);
    expect((await request(t.h, 'GET', '/api/0/', { headers: first.headers() })).body.user).toBeNull();
    expect((await request(t.h, 'GET', '/api/0/', { headers: second.headers() })).body.user.email).toBe('owner@acme.example');
  });
});

describe('the session on the API', () => {
  const session = suiteFixture(() => signIn(t.h, 'owner@acme.example', OWNER_PASSWORD));

  it('GET /api/0/ shows the user and no auth, as Sentry does for a session', async () => {
    const res = await request(t.h, 'GET', '/api/0/', { headers: session.headers() });
    expect(res.status).toBe(200);
    expect(res.body.auth).toBeNull();
    expect(res.body.user).toMatchObject({ email: 'owner@acme.example', id: String(t.owner.id) });
    const me = await request(t.h, 'GET', '/api/0/users/me/', { headers: session.headers() });
    expect(me.status).toBe(200);
    expect(me.body.email).toBe('owner@acme.example');
  });

  it('reads without a CSRF token, and reports the role\'s access on the project', async () => {
    const keys = await request(t.h, 'GET', t.keysPath, { headers: session.headers() });
    expect(keys.status).toBe(200);
    expect(keys.body.map((k: { name: string }) => k.name)).toContain('Default');
    const detail = await request(t.h, 'GET', `/api/0/projects/${t.org.slug}/${t.project.slug}/`, { headers: session.headers() });
    expect(detail.body.access).toEqual(expect.arrayContaining(['project:read', 'project:write', 'project:admin']));
  });

  it('refuses unsafe requests without the CSRF token, with a wrong one, or from another origin', async () => {
    const cookieOnly = session.headers();
    const cases: Array<[Record<string, string>, string]> = [
      [cookieOnly, 'CSRF Failed: CSRF token missing.'],
      [{ ...cookieOnly, 'x-csrftoken': 'A'.repeat(43) }, 'CSRF Failed: CSRF token incorrect.'],
      [{ ...cookieOnly, 'x-csrftoken': 'short' }, 'CSRF Failed: CSRF token incorrect.'],
      [
        { ...session.headers(true), origin: 'https://evil.example' },
        'CSRF Failed: Origin checking failed - https://evil.example does not match any trusted origins.',
      ],
    ];
    const before = await t.h.db.kysely.selectFrom('project_keys').select('id').execute();
    for (const [headers, detail] of cases) {
      const res = await request(t.h, 'POST', t.keysPath, { headers, body: { name: 'refused' } });
      expect(res.status, detail).toBe(403);
      expect(res.body).toEqual({ detail });
      // Form-encoded bodies (which a cross-site form could send) are refused the same way.
      const form = await request(t.h, 'POST', t.keysPath, { headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, rawBody: 'name=refused' });
      expect(form.status, detail).toBe(403);
    }
    // The CSRF token from another session does not pass either.
    const other = await signIn(t.h, 'member@acme.example', MEMBER_PASSWORD);
    const crossed = await request(t.h, 'DELETE', `${t.keysPath}${(await t.seed.defaultKey(t.project)).public_key}/`, {
      headers: { ...session.headers(), 'x-csrftoken': other.csrf },
    });
    expect(crossed.status).toBe(403);
    expect(crossed.body).toEqual({ detail: 'CSRF Failed: CSRF token incorrect.' });
    const after = await t.h.db.kysely.selectFrom('project_keys').select('id').execute();
    expect(after).toHaveLength(before.length);
  });

  it('accepts unsafe requests with the token, from no Origin or its own', async () => {
    const created = await request(t.h, 'POST', t.keysPath, { headers: session.headers(true), body: { name: 'From a session' } });
    expect(created.status).toBe(201);
    const renamed = await request(t.h, 'PUT', `${t.keysPath}${created.body.id}/`, {
      headers: { ...session.headers(true), origin: t.h.baseUrl },
      body: { name: 'Renamed in a session' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Renamed in a session');
    const audit = await t.h.db.kysely.selectFrom('audit_log_entries').selectAll().where('event', '=', 'projectkey.add').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(audit.actor_label).toBe('owner@acme.example');
    expect(audit.actor_user_id).toBe(t.owner.id);
    const deleted = await request(t.h, 'DELETE', `${t.keysPath}${created.body.id}/`, { headers: session.headers(true) });
    expect(deleted.status).toBe(204);
  });

  it('acts with the role: a member session reads keys and may not create them', async () => {
    const member = await signIn(t.h, 'member@acme.example', MEMBER_PASSWORD);
    expect((await request(t.h, 'GET', t.keysPath, { headers: member.headers() })).status).toBe(200);
    const res = await request(t.h, 'POST', t.keysPath, { headers: member.headers(true), body: { name: 'nope' } });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ detail: 'You do not have permission to perform this action.' });
    expect(res.headers.get('www-authenticate')).toBeNull();
    const detail = await request(t.h, 'GET', `/api/0/projects/${t.org.slug}/${t.project.slug}/`, { headers: member.headers() });
    expect(detail.body.access).toContain('project:read');
    expect(detail.body.access).not.toContain('project:write');
    expect(detail.body.access).not.toContain('project:admin');
  });

  it('comes after the Authorization header: a token wins, a header no authenticator claims falls through', async () => {
    const memberToken = await t.seed.token((await t.h.db.stores.users.byEmail('member@acme.example'))!);
    // The member's token decides, not the owner's session.
    const withToken = await request(t.h, 'POST', t.keysPath, { headers: { ...session.headers(true), authorization: `Bearer ${memberToken}` }, body: { name: 'x' } });
    expect(withToken.status).toBe(403);
    // A bad token is a 401 even with a good session, as in DRF.
    const badToken = await request(t.h, 'GET', t.keysPath, { headers: { ...session.headers(), authorization: `Bearer sntryu_${'0'.repeat(64)}` } });
    expect(badToken.status).toBe(401);
    // Basic with a password is not an API key: the session is used.
    const basic = `Basic ${Buffer.from('user:password').toString('base64')}`;
    const fallsThrough = await request(t.h, 'GET', '/api/0/', { headers: { ...session.headers(), authorization: basic } });
    expect(fallsThrough.body.user?.email).toBe('owner@acme.example');
  });

  it('is anonymous with an unknown, malformed or forged cookie', async () => {
    for (const value of ['A'.repeat(43), 'not a token', session.session.slice(0, -1)]) {
      const res = await request(t.h, 'GET', t.keysPath, { headers: { cookie: `clientkeys_session=${value}` } });
      expect(res.status, value).toBe(401);
      expect(res.body).toEqual({ detail: 'Authentication credentials were not provided.' });
    }
  });

  it('is not subject to the Origin check of credentials (only to CSRF)', async () => {
    const res = await request(t.h, 'GET', t.keysPath, { headers: { ...session.headers(), origin: 'https://elsewhere.example' } });
    expect(res.status).toBe(200);
  });
});

describe('ending sessions', () => {
  it('signs out with the CSRF token, and the session is gone everywhere', async () => {
    const session = await signIn(t.h, 'owner@acme.example', OWNER_PASSWORD);
    const refused = await fetch(`${t.h.baseUrl}/auth/logout/`, { method: 'POST', redirect: 'manual', headers: session.headers() });
    expect(refused.status).toBe(403);
    expect((await request(t.h, 'GET', '/api/0/', { headers: session.headers() })).body.user).not.toBeNull();

    const response = await fetch(`${t.h.baseUrl}/auth/logout/`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...session.headers(), 'content-type': 'application/x-www-form-urlencoded' },
      body: `csrf=${encodeURIComponent(session.csrf)}`,
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/auth/login/');
    const cleared = setCookies(response).get('clientkeys_session');
    expect(cleared?.value).toBe('');
    expect(cleared?.attributes).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect((await request(t.h, 'GET', t.keysPath, { headers: session.headers() })).status).toBe(401);
    const page = await fetch(`${t.h.baseUrl}/settings/`, { redirect: 'manual', headers: session.headers() });
    expect(page.status).toBe(302);
  });

  it('ends every session of a user whose password changes', async () => {
    const user = await t.seed.user('changer@acme.example', { password: 'the first password' });
    await t.seed.member(t.org, user, 'owner');
    const one = await signIn(t.h, user.email, 'the first password');
    const two = await signIn(t.h, user.email, 'the first password');
    const changed = await t.h.services.users.setPassword(user, 'the second password');
    expect(changed.ok).toBe(true);
    for (const s of [one, two]) expect((await request(t.h, 'GET', '/api/0/', { headers: s.headers() })).body.user).toBeNull();
    const form = await signInForm(t.h);
    expect((await postSignIn(t.h, { email: user.email, password: 'the first password', csrf: form.csrf }, { cookie: form.cookie })).status).toBe(400);
    await signIn(t.h, user.email, 'the second password');
  });

  it('ends with the user (deactivated) and when it expires', async () => {
    const user = await t.seed.user('leaver@acme.example', { password: 'a password to leave with' });
    await t.seed.member(t.org, user, 'owner');
    const inactive = await signIn(t.h, user.email, 'a password to leave with');
    await t.h.db.kysely.updateTable('users').set({ is_active: 0 }).where('id', '=', user.id).execute();
    expect((await request(t.h, 'GET', t.keysPath, { headers: inactive.headers() })).status).toBe(401);
    const form = await signInForm(t.h);
    expect((await postSignIn(t.h, { email: user.email, password: 'a password to leave with', csrf: form.csrf }, { cookie: form.cookie })).status).toBe(400);

    const expiring = await signIn(t.h, 'owner@acme.example', OWNER_PASSWORD);
    expect((await request(t.h, 'GET', t.keysPath, { headers: expiring.headers() })).status).toBe(200);
    await t.h.db.kysely
      .updateTable('sessions')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('token_hash', '=', sha256Hex(expiring.session))
      .execute();
    expect((await request(t.h, 'GET', t.keysPath, { headers: expiring.headers() })).status).toBe(401);
  });
});

describe('the pages', () => {
  it('send an anonymous browser to sign in, and back to the page afterwards', async () => {
    const path = `/settings/${t.org.slug}/projects/${t.project.slug}/keys/?tab=1`;
    const response = await fetch(`${t.h.baseUrl}${path}`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = response.headers.get('location') ?? '';
    expect(location).toBe(`/auth/login/?next=${encodeURIComponent(path)}`);
    const login = await fetch(`${t.h.baseUrl}${location}`, { redirect: 'manual' });
    const html = await login.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    const next = /name="next" value="([^"]+)"/.exec(html)![1]!.replaceAll('&amp;', '&');
    expect(next).toBe(path);
    const signedIn = await postSignIn(t.h, { email: 'owner@acme.example', password: OWNER_PASSWORD, csrf, next }, { cookie: `clientkeys_csrf=${csrf}` });
    expect(signedIn.headers.get('location')).toBe(path);
    const cookies = setCookies(signedIn);
    const session = browserSession(cookies.get('clientkeys_session')!.value, cookies.get('clientkeys_csrf')!.value);
    const page = await fetch(`${t.h.baseUrl}${path}`, { redirect: 'manual', headers: session.headers() });
    expect(page.status).toBe(200);
    const shell = await page.text();
    expect(shell).toContain('<script type="module" src="/_static/app.js"></script>');
    expect(shell).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
  });

  it('redirect the root and slashless page URLs', async () => {
    const root = await fetch(`${t.h.baseUrl}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/settings/');
    const slashless = await fetch(`${t.h.baseUrl}/settings/acme/projects/web/keys?x=1`, { redirect: 'manual' });
    expect(slashless.status).toBe(301);
    expect(slashless.headers.get('location')).toBe('/settings/acme/projects/web/keys/?x=1');
  });

  it('serve only the listed static files, revalidated by ETag', async () => {
    const script = await fetch(`${t.h.baseUrl}/_static/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await script.text()).toContain("from './api.js'");
    // The page's API client (a module of its own) sends the CSRF token.
    expect(await (await fetch(`${t.h.baseUrl}/_static/api.js`)).text()).toContain('X-CSRFToken');
    const etag = script.headers.get('etag')!;
    const again = await fetch(`${t.h.baseUrl}/_static/app.js`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect((await fetch(`${t.h.baseUrl}/_static/app.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    for (const path of ['/_static/..%2Fapp.ts', '/_static/%2E%2E%2F%2E%2E%2Fpackage.json', '/_static/nope.js']) {
      expect((await fetch(`${t.h.baseUrl}${path}`)).status, path).toBe(404);
    }
  });
});

describe('over HTTPS', () => {
  const secure = suiteFixture(async (onCleanup) => {
    const secure = await startHarness({
      publicUrl: 'https://keys.example.com',
      sessions: { ...t.h.config.sessions, secureCookies: true },
    });
    onCleanup(() => secure.close());
    const user = await new Seed(secure.services).user('owner@acme.example', { password: OWNER_PASSWORD });
    const o = await new Seed(secure.services).org('acme');
    await new Seed(secure.services).member(o, user, 'owner');
    return secure;
  });

  it('uses Secure cookies with the __Host- prefix, and sends HSTS', async () => {
    const form = await signInForm(secure, '__Host-');
    const csrfCookie = setCookies(form.response).get('__Host-clientkeys_csrf');
    expect(csrfCookie?.attributes).toMatch(/Secure/);
    expect(csrfCookie?.attributes).toMatch(/Path=\//);
    expect(csrfCookie?.attributes).not.toMatch(/Domain=/);
    expect(form.response.headers.get('strict-transport-security')).toBe('max-age=31536000');
    const response = await postSignIn(secure, { email: 'owner@acme.example', password: OWNER_PASSWORD, csrf: form.csrf }, { cookie: form.cookie });
    expect(response.status).toBe(303);
    const cookies = setCookies(response);
    const session = cookies.get('__Host-clientkeys_session');
    expect(session?.attributes).toMatch(/Secure/);
    expect(session?.attributes).toMatch(/HttpOnly/);
    const signedIn = browserSession(session!.value, cookies.get('__Host-clientkeys_csrf')!.value, '__Host-');
    // The page is served from PUBLIC_URL: its own origin passes the CSRF check.
    const created = await request(secure, 'POST', '/api/0/organizations/acme/teams/', {
      headers: { ...signedIn.headers(true), origin: 'https://keys.example.com' },
      body: { slug: 'from-https' },
    });
    expect(created.status).toBe(201);
    // A cookie without the prefix is not the session.
    const unprefixed = await request(secure, 'GET', '/api/0/', { headers: { cookie: `clientkeys_session=${signedIn.session}` } });
    expect(unprefixed.body.user).toBeNull();
  });
});

describe('under a path prefix (PUBLIC_URL with a path, behind a proxy that strips it)', () => {
  const prefixed = suiteFixture(async (onCleanup) => {
    const prefixed = await startHarness({ publicUrl: 'http://proxy.example/keys' });
    onCleanup(() => prefixed.close());
    const s = new Seed(prefixed.services);
    const user = await s.user('owner@acme.example', { password: OWNER_PASSWORD });
    await s.member(await s.org('acme'), user, 'owner');
    return prefixed;
  });

  it('hands out links under the prefix and accepts only next paths under it', async () => {
    const anonymous = await fetch(`${prefixed.baseUrl}/settings/acme/projects/web/keys/`, { redirect: 'manual' });
    expect(anonymous.headers.get('location')).toBe(`/keys/auth/login/?next=${encodeURIComponent('/keys/settings/acme/projects/web/keys/')}`);
    const form = await signInForm(prefixed);
    expect(form.html).toContain('action="/keys/auth/login/"');
    expect(form.html).toContain('href="/keys/_static/app.css"');
    expect(form.html).toContain('<meta name="clientkeys-base" content="/keys">');
    for (const [next, location] of [
      ['/keys/settings/acme/projects/web/keys/', '/keys/settings/acme/projects/web/keys/'],
      ['/settings/acme/projects/web/keys/', '/keys/settings/'],
      ['/keysmith/', '/keys/settings/'],
    ]) {
      const f = await signInForm(prefixed);
      const response = await postSignIn(prefixed, { email: 'owner@acme.example', password: OWNER_PASSWORD, csrf: f.csrf, next: next! }, { cookie: f.cookie });
      expect(response.headers.get('location'), next).toBe(location);
      const cookies = setCookies(response);
      const session = browserSession(cookies.get('clientkeys_session')!.value, cookies.get('clientkeys_csrf')!.value);
      if (next === '/keys/settings/acme/projects/web/keys/') {
        const page = await fetch(`${prefixed.baseUrl}/settings/acme/projects/web/keys/`, { headers: session.headers() });
        expect(await page.text()).toContain('<script type="module" src="/keys/_static/app.js"></script>');
      }
    }
  });
});
