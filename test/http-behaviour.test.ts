/**
 * What every API answer looks like on the wire: Allow and CORS headers, OPTIONS, 405, Sentry's
 * trailing-slash catch-all, content types, body limits, Origin checks and the API index.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { signIn } from './helpers/browser-session.ts';
import { request, startAcme } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

const t = suiteFixture(async (onCleanup) => {
  const { h, seed, org, owner } = await startAcme();
  onCleanup(() => h.close());
  const keysPath = `/api/0/projects/acme/web/keys/`;
  return { h, org, owner, seed, keysPath };
});

/** Any verb, TRACE and PROPFIND included (fetch refuses to send some), over node:http. */
function verb(method: string, path: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${t.h.baseUrl}${path}`, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('headers on every API answer', () => {
  it('sends Allow and CORS headers as Sentry, on success and on errors', async () => {
    for (const [path, allow, token] of [
      [t.keysPath, 'GET, POST, HEAD, OPTIONS', t.owner],
      [`${t.keysPath}${'f'.repeat(32)}/`, 'GET, PUT, DELETE, HEAD, OPTIONS', t.owner],
      ['/api/0/organizations/acme/project-keys/', 'GET, HEAD, OPTIONS', undefined],
    ] as const) {
      const res = await request(t.h, 'GET', path, token ? { token } : {});
      expect(res.headers.get('allow')).toBe(allow);
      expect(res.headers.get('access-control-allow-methods')).toBe(allow);
      expect(res.headers.get('access-control-allow-headers')).toBe(
        'X-Sentry-Auth, X-Requested-With, Origin, Accept, Content-Type, Authentication, Authorization, Content-Encoding, sentry-trace, baggage, X-CSRFToken',
      );
      expect(res.headers.get('access-control-expose-headers')).toBe('X-Sentry-Error, X-Sentry-Direct-Hit, X-Hits, X-Max-Hits, Endpoint, Retry-After, Link');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      // Django's middleware: SecurityHeadersMiddleware and LocaleMiddleware, on every answer.
      expect(res.headers.get('x-frame-options')).toBe('deny');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-xss-protection')).toBe('1; mode=block');
      expect(res.headers.get('content-language')).toBe('en');
      expect(res.headers.get('vary')).toBe('Accept-Language');
    }
  });

  it("puts the middleware's headers on the catch-all's answers too, and only under /api/0/", async () => {
    for (const path of ['/api/0/no/such/thing/', '/api/0/projects/acme/web/keys']) {
      const res = await request(t.h, 'GET', path);
      expect(res.status).toBe(404);
      expect(res.headers.get('x-frame-options')).toBe('deny');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-language')).toBe('en');
      expect(res.headers.get('vary')).toBe('Accept-Language');
    }
    const outside = await request(t.h, 'GET', '/healthz');
    expect(outside.headers.get('content-language')).toBeNull();
  });

  it('echoes the Origin, or the Referer origin', async () => {
    const res = await request(t.h, 'GET', '/api/0/', { headers: { origin: 'https://app.example.com' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const ref = await request(t.h, 'GET', '/api/0/', { headers: { referer: 'https://ref.example.com/some/page' } });
    expect(ref.headers.get('access-control-allow-origin')).toBe('https://ref.example.com');
  });

  it('answers OPTIONS without credentials: 200, empty, Max-Age 3600', async () => {
    const res = await request(t.h, 'OPTIONS', t.keysPath, { headers: { origin: 'https://x.example', 'access-control-request-method': 'POST' } });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    expect(res.headers.get('access-control-max-age')).toBe('3600');
    expect(res.headers.get('allow')).toBe('GET, POST, HEAD, OPTIONS');
  });

  it('answers HEAD with a token 403, as no scope map of Sentry names HEAD; HEAD of an unguarded resource like GET', async () => {
    const res = await request(t.h, 'HEAD', t.keysPath, { token: t.owner });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect((await request(t.h, 'HEAD', t.keysPath)).status).toBe(401);
    const index = await request(t.h, 'HEAD', '/api/0/', { token: t.owner });
    expect(index.status).toBe(200);
    expect(index.text).toBe('');
  });

  it('answers 405 only after authentication and the scope check, as Endpoint.dispatch', async () => {
    const anonymous = await request(t.h, 'PATCH', t.keysPath, { body: {} });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    // PATCH is in no scope map: every token lacks its scope, and there is no scope to name.
    const token = await request(t.h, 'PATCH', t.keysPath, { token: t.owner, body: {} });
    expect(token.status).toBe(403);
    expect(token.body).toEqual({ detail: 'You do not have permission to perform this action.' });
    expect(token.headers.get('www-authenticate')).toBeNull();
    // DELETE is in ProjectPermission's map: a token without project:admin gets the challenge.
    const reader = await t.seed.caller(t.org, 'reader@acme.example', 'owner', ['project:read']);
    const underScoped = await request(t.h, 'DELETE', t.keysPath, { token: reader });
    expect(underScoped.status).toBe(403);
    expect(underScoped.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="project:admin"');
    const allowed = await request(t.h, 'DELETE', t.keysPath, { token: t.owner });
    expect(allowed.status).toBe(405);
    expect(allowed.body).toEqual({ detail: 'Method "DELETE" not allowed.' });
    expect(allowed.headers.get('allow')).toBe('GET, POST, HEAD, OPTIONS');
    // No project check before the 405: an unknown project gives the same answer.
    expect((await request(t.h, 'DELETE', '/api/0/projects/acme/nope/keys/', { token: t.owner })).status).toBe(405);
  });

  it('answers PATCH, TRACE and other verbs 405 to a session (no scope map applies to it), 401 anonymous, 403 to a token', async () => {
    await t.seed.member(t.org, await t.seed.user('browser@acme.example', { password: 'a browser password' }), 'owner');
    const session = await signIn(t.h, 'browser@acme.example', 'a browser password');
    for (const method of ['PATCH', 'TRACE', 'PROPFIND']) {
      const asSession = await verb(method, t.keysPath, session.headers(true));
      expect(asSession.status, method).toBe(405);
      expect(JSON.parse(asSession.text), method).toEqual({ detail: `Method "${method}" not allowed.` });
      expect(asSession.headers.vary, method).toBe('Accept-Language, Cookie');
      expect((await verb(method, t.keysPath, {})).status, method).toBe(401);
      expect((await verb(method, t.keysPath, { authorization: `Bearer ${t.owner}` })).status, method).toBe(403);
    }
  });
});

describe("Sentry's catch-all under /api/0/", () => {
  it('hints at the missing trailing slash, as JSON for JSON requests', async () => {
    const res = await request(t.h, 'GET', '/api/0/projects/acme/web/keys', { token: t.owner, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ info: 'Route not found, did you forget a trailing slash? try: /api/0/projects/acme/web/keys/' });
  });

  it('hints in text otherwise, with the caret under the slash', async () => {
    const res = await request(t.h, 'GET', '/api/0/projects/acme/web/keys');
    expect(res.status).toBe(404);
    const hint = 'try: /api/0/projects/acme/web/keys/';
    expect(res.text).toBe(`Route not found, did you forget a trailing slash?\n\n${hint}\n${' '.repeat(hint.length - 1)}^\n`);
  });

  it('answers an unknown path with a slash by an empty 404', async () => {
    const res = await request(t.h, 'GET', '/api/0/no/such/thing/');
    expect(res.status).toBe(404);
    expect(res.text).toBe('');
  });
});

describe('request bodies', () => {
  it('refuses malformed JSON with a parse error, writing nothing', async () => {
    const res = await request(t.h, 'POST', t.keysPath, { token: t.owner, rawBody: '{"name": ', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/^JSON parse error - /);
    expect((await request(t.h, 'GET', t.keysPath, { token: t.owner })).body).toHaveLength(1);
  });

  it('refuses an unsupported content type with 415', async () => {
    const res = await request(t.h, 'POST', t.keysPath, { token: t.owner, rawBody: 'name=x', headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(415);
    expect(res.body).toEqual({ detail: 'Unsupported media type "text/plain" in request.' });
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const res = await request(t.h, 'POST', t.keysPath, { token: t.owner, body: { name: 'x'.repeat(1024 * 1024 + 10) } });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ detail: 'Request body is too large.' });
  });

  it('drops prototype-polluting keys like any unknown field', async () => {
    const res = await request(t.h, 'POST', t.keysPath, {
      token: t.owner,
      rawBody: '{"name":"safe","__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}}}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe('safe');
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('answers a JSON null body as DRF\'s serializer does: "No data provided"', async () => {
    const res = await request(t.h, 'POST', t.keysPath, { token: t.owner, rawBody: 'null', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ non_field_errors: ['No data provided'] });
    // A nested serializer given null is still the field's own "may not be null".
    const nested = await request(t.h, 'POST', t.keysPath, { token: t.owner, body: { rateLimit: null } });
    expect(nested.body).toEqual({ rateLimit: ['This field may not be null.'] });
  });

  it('reads only application/json as JSON: another +json type is a 415, as DRF\'s JSONParser', async () => {
    const res = await request(t.h, 'POST', t.keysPath, { token: t.owner, rawBody: '{"name":"x"}', headers: { 'content-type': 'application/vnd.api+json' } });
    expect(res.status).toBe(415);
    expect(res.body).toEqual({ detail: 'Unsupported media type "application/vnd.api+json" in request.' });
    const charset = await request(t.h, 'POST', t.keysPath, { token: t.owner, rawBody: '{"name":"utf8"}', headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect(charset.status).toBe(201);
  });

  it('accepts an HTML form, with rateLimit.count and rateLimit.window as the nested fields', async () => {
    const res = await request(t.h, 'POST', t.keysPath, {
      token: t.owner,
      rawBody: new URLSearchParams({ name: 'From a form', 'rateLimit.count': '10', 'rateLimit.window': '60' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'From a form', rateLimit: { count: 10, window: 60 } });
    const bad = await request(t.h, 'POST', t.keysPath, {
      token: t.owner,
      rawBody: 'rateLimit.window=100000',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ rateLimit: { window: ['Ensure this value is less than or equal to 86400.'] } });
    const updated = await request(t.h, 'PUT', `${t.keysPath}${res.body.id}/`, {
      token: t.owner,
      rawBody: 'isActive=false&name=Renamed',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'Renamed', isActive: false });
  });

  it('accepts a multipart form the same way; an uploaded file is not a string', async () => {
    const form = new FormData();
    form.set('name', 'From multipart');
    form.set('rateLimit.count', '5');
    form.set('rateLimit.window', '3600');
    const res = await fetch(`${t.h.baseUrl}${t.keysPath}`, { method: 'POST', headers: { authorization: `Bearer ${t.owner}` }, body: form });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ name: 'From multipart', rateLimit: { count: 5, window: 3600 } });

    const withFile = new FormData();
    withFile.set('name', new Blob(['not a name']), 'name.txt');
    const refused = await fetch(`${t.h.baseUrl}${t.keysPath}`, { method: 'POST', headers: { authorization: `Bearer ${t.owner}` }, body: withFile });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ name: ['Not a valid string.'] });

    const noBoundary = await request(t.h, 'POST', t.keysPath, { token: t.owner, rawBody: 'x', headers: { 'content-type': 'multipart/form-data' } });
    expect(noBoundary.status).toBe(400);
    expect(noBoundary.body).toEqual({ detail: 'Multipart form parse error - Invalid boundary in multipart: None' });
  });
});

describe('Origin checks (is_valid_origin)', () => {
  it('refuses a token request from a browser origin, as Sentry does for tokens without allowed origins', async () => {
    const res = await request(t.h, 'GET', t.keysPath, { token: t.owner, headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(400);
    expect(res.body).toBe('Invalid origin: https://evil.example');
  });

  it('lets an API key with allowed origins through from those origins only', async () => {
    const key = await t.seed.apiKey(t.org, ['project:read'], ['https://dash.example', '*.corp.example']);
    expect((await request(t.h, 'GET', t.keysPath, { basic: key, headers: { origin: 'https://dash.example' } })).status).toBe(200);
    expect((await request(t.h, 'GET', t.keysPath, { basic: key, headers: { origin: 'https://a.corp.example' } })).status).toBe(200);
    expect((await request(t.h, 'GET', t.keysPath, { basic: key, headers: { origin: 'https://other.example' } })).status).toBe(400);
    // As Sentry's is_valid_origin: "null" (a sandboxed iframe, a file: page) is no listed origin.
    const fromNull = await request(t.h, 'GET', t.keysPath, { basic: key, headers: { origin: 'null' } });
    expect(fromNull.status).toBe(400);
    expect(fromNull.body).toBe('Invalid origin: null');
    const anyOrigin = await t.seed.apiKey(t.org, ['project:read'], ['*']);
    expect((await request(t.h, 'GET', t.keysPath, { basic: anyOrigin, headers: { origin: 'null' } })).status).toBe(200);
  });
});

describe('authentication details', () => {
  it('accepts any case for the scheme', async () => {
    expect((await request(t.h, 'GET', t.keysPath, { headers: { authorization: `bEaReR ${t.owner}` } })).status).toBe(200);
  });

  it('ignores Basic credentials with a password (not an API key): anonymous', async () => {
    const key = await t.seed.apiKey(t.org, ['project:read']);
    const res = await request(t.h, 'GET', t.keysPath, { headers: { authorization: `Basic ${Buffer.from(`${key}:pw`).toString('base64')}` } });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail: 'Authentication credentials were not provided.' });
  });

  it('treats an unknown scheme as no credentials', async () => {
    const res = await request(t.h, 'GET', t.keysPath, { headers: { authorization: 'Digest abc' } });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail: 'Authentication credentials were not provided.' });
  });
});

describe('GET /api/0/', () => {
  it('answers anonymously with no auth and no user', async () => {
    const res = await request(t.h, 'GET', '/api/0/');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ version: '0', auth: null, user: null });
  });

  it('names the user and the sorted scopes of a token', async () => {
    const user = await t.seed.user('who@acme.example');
    const token = await t.seed.token(user, 'project:write,org:read');
    const res = await request(t.h, 'GET', '/api/0/', { token });
    expect(res.body.auth).toEqual({ scopes: ['org:read', 'project:read', 'project:write'] });
    expect(res.body.user).toMatchObject({ id: String(user.id), email: 'who@acme.example', username: 'who@acme.example', isSuperuser: false });
    expect(Object.keys(res.body.user).slice(0, 5)).toEqual(['id', 'name', 'username', 'email', 'avatarUrl']);
  });

  it('answers an API key with its scopes and no user', async () => {
    const key = await t.seed.apiKey(t.org, ['project:read']);
    const res = await request(t.h, 'GET', '/api/0/', { basic: key });
    expect(res.body).toEqual({ version: '0', auth: { scopes: ['project:read'] }, user: null });
  });

  it('still refuses a bad token', async () => {
    const res = await request(t.h, 'GET', '/api/0/', { token: 'nope' });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail: 'Invalid token' });
  });
});

describe('OpenAPI', () => {
  it('documents every key route with its request and response schemas', async () => {
    const res = await request(t.h, 'GET', '/api/0/openapi.json');
    expect(res.status).toBe(200);
    const paths = res.body.paths;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/api/0/projects/{org}/{project}/keys/',
        '/api/0/projects/{org}/{project}/keys/{key_id}/',
        '/api/0/organizations/{org}/project-keys/',
      ]),
    );
    const create = paths['/api/0/projects/{org}/{project}/keys/'].post;
    expect(create.requestBody.content['application/json'].schema).toBeDefined();
    expect(create.responses['201']).toBeDefined();
    expect(create.responses['400']).toBeDefined();
    const schemas = JSON.stringify(res.body);
    expect(schemas).toContain('dynamicSdkLoaderOptions');
    expect(schemas).toContain('"maxLength":64');
  });

  it('documents key stats and marks recent events as a clientkeys extension; leaves the DSN endpoints out', async () => {
    const res = await request(t.h, 'GET', '/api/0/openapi.json');
    const paths = res.body.paths;
    const stats = paths['/api/0/projects/{org}/{project}/keys/{key_id}/stats/'].get;
    expect(stats.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['since', 'until', 'resolution']));
    expect(Object.keys(stats.responses)).toEqual(expect.arrayContaining(['200', '400', '404']));
    const recent = paths['/api/0/projects/{org}/{project}/events/recent/'].get;
    expect(recent.tags).toEqual(['clientkeys extensions']);
    expect(recent.description).toMatch(/^Not part of Sentry's API/);
    expect(Object.keys(paths).some((p) => p.includes('envelope') || p.includes('js-sdk-loader') || p === '/metrics')).toBe(false);
  });
});

describe('odd path parameters', () => {
  it.each(['%00', 'a%00b', '%ff', '%E2%82', 'x'.repeat(3000), '%F0%9F%92%A9', '...', '-1', '99999999999999999999', '0'])(
    'never answers 5xx for %s in any position',
    async (segment) => {
      for (const path of [
        `/api/0/projects/${segment}/web/keys/`,
        `/api/0/projects/acme/${segment}/keys/`,
        `/api/0/projects/acme/web/keys/${segment}/`,
        `/api/0/organizations/${segment}/project-keys/`,
        `/api/0/organizations/acme/project-keys/?team=${segment}&projectSlug=${segment}`,
      ]) {
        const res = await request(t.h, 'GET', path, { token: t.owner });
        expect(res.status, path).toBeGreaterThanOrEqual(400);
        expect(res.status, path).toBeLessThan(500);
      }
    },
  );
});
