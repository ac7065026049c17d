/** `GET /users/me/`: who a token belongs to (DetailedSelfUserSerializer). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRow } from '../src/storage/schema.ts';
import { signIn } from './helpers/browser-session.ts';
import { request, startOrg, type Harness } from './helpers/harness.ts';

let h: Harness;
let ann: UserRow;
let annToken: string;
let bobToken: string;
let rootToken: string;
let apiKey: string;

beforeAll(async () => {
  const { seed, org, ...started } = await startOrg();
  ({ h } = started);
  ann = await seed.user('ann@example.com');
  await seed.member(org, ann, 'owner');
  annToken = await seed.token(ann, 'org:read');
  bobToken = await seed.caller(org, 'bob@example.com', 'member');
  rootToken = await seed.token(await seed.user('root@example.com', { superuser: true, password: 'root password 1' }));
  apiKey = await seed.apiKey(org, ['org:read']);
});
afterAll(() => h.close());

describe('GET /users/me/', () => {
  it('is the token\'s user, whatever its scopes', async () => {
    const res = await request(h, 'GET', '/api/0/users/me/', { token: annToken });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: String(ann.id), email: 'ann@example.com', username: 'ann@example.com', isSuperuser: false, permissions: [], authenticators: [] });
    expect((await request(h, 'GET', `/api/0/users/${ann.id}/`, { token: annToken })).body.email).toBe('ann@example.com');
  });

  it('needs credentials, and a user: an organization credential has no "me"', async () => {
    expect((await request(h, 'GET', '/api/0/users/me/')).status).toBe(401);
    const res = await request(h, 'GET', '/api/0/users/me/', { basic: apiKey });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: 'The requested resource does not exist' });
  });

  it("shows another user only to a superuser", async () => {
    expect((await request(h, 'GET', `/api/0/users/${ann.id}/`, { token: bobToken })).status).toBe(403);
    // Only a superuser's session is an active superuser; its token is an ordinary user's.
    expect((await request(h, 'GET', `/api/0/users/${ann.id}/`, { token: rootToken })).status).toBe(403);
    const root = await signIn(h, 'root@example.com', 'root password 1');
    expect((await request(h, 'GET', `/api/0/users/${ann.id}/`, { headers: root.headers() })).body.email).toBe('ann@example.com');
    expect((await request(h, 'GET', '/api/0/users/999999/', { headers: root.headers() })).status).toBe(404);
  });
});
