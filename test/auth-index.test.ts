/**
 * `/api/0/auth/` as Sentry's AuthIndexEndpoint answers it (S:src/sentry/api/endpoints/
 * auth_index.py): the user of a user token or of a session, an empty 400 for anyone else, and
 * DELETE signing out. The real `@sentry/mcp-server` (pinned in package.json) runs its `whoami`
 * tool against it over stdio.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { signIn } from './helpers/browser-session.ts';
import { request, startOrg } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

const path = '/api/0/auth/';

const t = suiteFixture(async (onCleanup) => {
  const { org, ...started } = await startOrg();
  const { h, seed } = started;
  onCleanup(() => h.close());
  const ann = await seed.user('ann@example.com', { password: 'ann password 123' });
  await seed.member(org, ann, 'member');
  const annToken = await seed.token(ann, 'org:read');
  const orgToken = await seed.orgToken(org);
  const apiKey = await seed.apiKey(org, ['org:read']);
  return { h, ann, annToken, orgToken, apiKey };
});

describe('GET /api/0/auth/', () => {
  it("is a user token's user, as DetailedSelfUserSerializer, whatever the token's scopes", async () => {
    const res = await request(t.h, 'GET', path, { token: t.annToken });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: String(t.ann.id), email: 'ann@example.com', username: 'ann@example.com', isSuperuser: false, permissions: [], authenticators: [] });
    expect(res.body).toEqual((await request(t.h, 'GET', '/api/0/users/me/', { token: t.annToken })).body);
  });

  it("is a session's user, with Vary: Cookie", async () => {
    const session = await signIn(t.h, 'ann@example.com', 'ann password 123');
    const res = await request(t.h, 'GET', path, { headers: session.headers() });
    expect(res.status).toBe(200);
    expect(res.body.email).toBe('ann@example.com');
    expect(res.headers.get('vary')).toBe('Accept-Language, Cookie');
  });

  it('answers an empty 400 to anyone without a user: no credentials, an organization token, a bad token', async () => {
    for (const options of [{}, { token: t.orgToken }, { token: 'sntryu_' + 'f'.repeat(64) }, { token: 'nonsense' }]) {
      const res = await request(t.h, 'GET', path, options);
      expect(res.status).toBe(400);
      expect(res.text).toBe('');
    }
  });

  it("refuses Basic credentials as QuietBasicAuthentication: a user name and password, with its challenge", async () => {
    const res = await request(t.h, 'GET', path, { basic: t.apiKey });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail: 'Invalid username/password.' });
    expect(res.headers.get('www-authenticate')).toBe('xBasic realm="api"');
    const malformed = await request(t.h, 'GET', path, { headers: { authorization: 'Basic' } });
    expect(malformed.body).toEqual({ detail: 'Invalid basic header. No credentials provided.' });
  });
});

describe('DELETE /api/0/auth/', () => {
  it("ends the user's sessions: 204, the cookie cleared, the session no longer signed in", async () => {
    const session = await signIn(t.h, 'ann@example.com', 'ann password 123');
    const other = await signIn(t.h, 'ann@example.com', 'ann password 123');
    const res = await request(t.h, 'DELETE', path, { headers: session.headers(true) });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(res.headers.getSetCookie().some((c) => c.startsWith('clientkeys_session=;'))).toBe(true);
    expect((await request(t.h, 'GET', path, { headers: session.headers() })).status).toBe(400);
    // Sentry's logout rotates the user's session nonce: every session of the user ends.
    expect((await request(t.h, 'GET', path, { headers: other.headers() })).status).toBe(400);
  });

  it("needs the session's CSRF token; a token's user fails SessionAuthentication's CSRF check", async () => {
    const session = await signIn(t.h, 'ann@example.com', 'ann password 123');
    const noCsrf = await request(t.h, 'DELETE', path, { headers: session.headers() });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body).toEqual({ detail: 'CSRF Failed: CSRF token missing.' });
    expect((await request(t.h, 'GET', path, { headers: session.headers() })).status).toBe(200);
    const token = await request(t.h, 'DELETE', path, { token: t.annToken });
    expect(token.status).toBe(403);
    expect(token.body).toEqual({ detail: 'CSRF Failed: CSRF cookie not set.' });
    expect((await request(t.h, 'GET', path, { token: t.annToken })).status).toBe(200);
  });

  it('answers 204 when nobody is signed in', async () => {
    expect((await request(t.h, 'DELETE', path)).status).toBe(204);
  });
});

describe('@sentry/mcp-server', () => {
  it("whoami names the token's user", async () => {
    const require = createRequire(import.meta.url);
    const entry = require.resolve('@sentry/mcp-server').replace(/index\.c?js$/, 'index.js');
    const host = new URL(t.h.baseUrl).host;
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [entry, `--access-token=${t.annToken}`, `--host=${host}`, '--insecure-http'],
      // No SENTRY_DSN: the server's own telemetry stays off.
      env: { PATH: process.env.PATH ?? '', HOME: t.h.dir },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'clientkeys-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      expect(result.isError).toBeFalsy();
      const text = (result.content as { type: string; text: string }[]).map((c) => c.text).join('\n');
      expect(text).toContain('You are authenticated as ann@example.com (ann@example.com).');
      expect(text).toContain(`Your Sentry User ID is ${t.ann.id}.`);
    } finally {
      await client.close();
    }
  });
});
