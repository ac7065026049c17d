/** `GET /users/me/`: who a token belongs to (DetailedSelfUserSerializer). */
import { describe, expect, it } from 'vitest';
import { signIn } from './helpers/browser-session.ts';
import { request, startOrg } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

const t = suiteFixture(async (onCleanup) => {
  const { h, seed, org } = await startOrg();
  onCleanup(() => h.close());
  const ann = await seed.user('ann@example.com');
  await seed.member(org, ann, 'owner');
  const annToken = await seed.token(ann, 'org:read');
  const bobToken = await seed.caller(org, 'bob@example.com', 'member');
  const rootToken = await seed.token(await seed.user('root@example.com', { superuser: true, password: 'root password 1' }));
  const apiKey = await seed.apiKey(org, ['org:read']);
  return { h, ann, annToken, bobToken, rootToken, apiKey };
});

describe('GET /users/me/', () => {
  it('is the token\'s user, whatever its scopes', async () => {
    const res = await request(t.h, 'GET', '/api/0/users/me/', { token: t.annToken });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: String(t.ann.id), email: 'ann@example.com', username: 'ann@example.com', isSuperuser: false, permissions: [], authenticators: [] });
    expect((await request(t.h, 'GET', `/api/0/users/${t.ann.id}/`, { token: t.annToken })).body.email).toBe('ann@example.com');
  });

  it('needs credentials, and a user: an organization credential has no "me"', async () => {
    expect((await request(t.h, 'GET', '/api/0/users/me/')).status).toBe(401);
    const res = await request(t.h, 'GET', '/api/0/users/me/', { basic: t.apiKey });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: 'The requested resource does not exist' });
  });

  it("shows another user only to a superuser", async () => {
    expect((await request(t.h, 'GET', `/api/0/users/${t.ann.id}/`, { token: t.bobToken })).status).toBe(403);
    // Only a superuser's session is an active superuser; its token is an ordinary user's.
    expect((await request(t.h, 'GET', `/api/0/users/${t.ann.id}/`, { token: t.rootToken })).status).toBe(403);
    const root = await signIn(t.h, 'root@example.com', 'root password 1');
    expect((await request(t.h, 'GET', `/api/0/users/${t.ann.id}/`, { headers: root.headers() })).body.email).toBe('ann@example.com');
    expect((await request(t.h, 'GET', '/api/0/users/999999/', { headers: root.headers() })).status).toBe(404);
  });
});
