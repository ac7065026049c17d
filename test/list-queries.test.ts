/**
 * Every list endpoint takes whatever `query` and `cursor` a caller sends and answers it as Sentry's
 * lists do, never with a 500: a filter named like an Object.prototype member, float and negative
 * cursor values on offset-paginated lists.
 */
import { describe, expect, it } from 'vitest';
import { request, startOrg } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

const t = suiteFixture(async (onCleanup) => {
  const { h, seed, org } = await startOrg();
  onCleanup(() => h.close());
  const team = await seed.team(org, 'backend');
  for (const slug of ['alpha', 'bravo', 'charlie']) await seed.project(org, slug, team);
  const token = await seed.caller(org, 'owner@acme.example', 'owner', undefined, team);
  return { h, token };
});

const LISTS = [
  '/api/0/organizations/',
  '/api/0/organizations/acme/projects/',
  '/api/0/organizations/acme/teams/',
  '/api/0/teams/acme/backend/projects/',
  '/api/0/projects/acme/alpha/keys/',
  '/api/0/organizations/acme/project-keys/',
];

describe('list endpoints', () => {
  it.each(LISTS)('%s: a query filter named __proto__, constructor or toString is a filter like any other', async (path) => {
    for (const query of ['__proto__:x', 'constructor:x', 'toString:y', '__proto__:x __proto__:y hasOwnProperty:z']) {
      const res = await request(t.h, 'GET', `${path}?query=${encodeURIComponent(query)}`, { token: t.token });
      expect({ query, status: res.status }).toEqual({ query, status: 200 });
      expect(Array.isArray(res.body)).toBe(true);
    }
  });

  it.each(LISTS)('%s: float and negative cursor values answer a page or a 400, never a 500', async (path) => {
    for (const cursor of ['1.5:0:0', '1.5:1:0', '-1.5:0:0', '-1:0:0', '0.5:3:1', '1e3:0:0', '99999999999:0:0', '99999999999:0:1', '-99999999999.5:0:0']) {
      const res = await request(t.h, 'GET', `${path}?per_page=1&cursor=${cursor}`, { token: t.token });
      expect([200, 400], `${cursor} → ${res.status}`).toContain(res.status);
      if (res.status === 200) expect(Array.isArray(res.body)).toBe(true);
    }
  });

  it('slices a float page size as Django slices a queryset', async () => {
    const res = await request<{ slug: string }[]>(t.h, 'GET', '/api/0/organizations/acme/projects/?per_page=2&cursor=1.5:1:0', { token: t.token });
    expect(res.status).toBe(200);
    // offset int(1 × 1.5) = 1, stop int(1.5 + 1.5 + 1) = 4: rows 1-3, of which the last per_page + 1 are kept, then per_page shown.
    expect(res.body.map((p) => p.slug)).toEqual(['bravo', 'charlie']);
  });
});
