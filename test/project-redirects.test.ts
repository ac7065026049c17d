/**
 * Renamed projects: an old slug answers 302 to the same URL with the new slug, with Sentry's body
 * (S:src/sentry/api/bases/project.py, ProjectRedirect and ProjectMoved), after the permission
 * check, on every endpoint under /projects/{org}/{project}/.
 */
import { describe, expect, it } from 'vitest';
import { request, Seed, startHarness } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

const t = suiteFixture(async (onCleanup) => {
  const h = await startHarness();
  onCleanup(() => h.close());
  const seed = new Seed(h.services);
  const org = await seed.org('acme', { openMembership: false });
  const owner = await seed.caller(org, 'owner@acme.example');
  return { h, seed, org, owner };
});

/** One request that does not follow redirects. */
async function manual(path: string, token?: string) {
  const res = await fetch(`${t.h.baseUrl}${path}`, { redirect: 'manual', headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return { status: res.status, location: res.headers.get('location'), body: text ? (JSON.parse(text) as unknown) : undefined };
}

async function rename(from: string, to: string) {
  const res = await request(t.h, 'PUT', `/api/0/projects/acme/${from}/`, { token: t.owner, body: { slug: to } });
  expect(res.status).toBe(200);
  expect(res.body.slug).toBe(to);
}

describe('a renamed project', () => {
  it('answers its old slug 302 with Location and the body of ProjectMoved, keeping the query', async () => {
    const project = await t.seed.project(t.org, 'web');
    const key = await t.seed.defaultKey(project);
    await rename('web', 'storefront');
    const res = await manual('/api/0/projects/acme/web/keys/?status=active', t.owner);
    expect(res.status).toBe(302);
    const url = '/api/0/projects/acme/storefront/keys/?status=active';
    expect(res.location).toBe(url);
    expect(res.body).toEqual({ slug: 'storefront', detail: { extra: { url, slug: 'storefront' } } });
    // Every project endpoint redirects, the key's own and the project's too.
    expect((await manual(`/api/0/projects/acme/web/keys/${key.public_key}/`, t.owner)).location).toBe(`/api/0/projects/acme/storefront/keys/${key.public_key}/`);
    expect((await manual('/api/0/projects/acme/web/', t.owner)).location).toBe('/api/0/projects/acme/storefront/');
    // A client that follows redirects (fetch, Go's net/http) gets the keys.
    const followed = await request(t.h, 'GET', '/api/0/projects/acme/web/keys/', { token: t.owner });
    expect(followed.status).toBe(200);
    expect(followed.body.map((k: { id: string }) => k.id)).toEqual([key.public_key]);
    // The organization may be named by id too; the path keeps what the caller wrote.
    expect((await manual(`/api/0/projects/${t.org.id}/web/keys/`, t.owner)).location).toBe(`/api/0/projects/${t.org.id}/storefront/keys/`);
  });

  it('checks the permission first: no credentials 401, no scope 403, no access to the project 403', async () => {
    const project = await t.seed.project(t.org, 'secret-app', await t.seed.team(t.org, 'core'));
    expect(project.slug).toBe('secret-app');
    await rename('secret-app', 'hidden-app');
    expect((await manual('/api/0/projects/acme/secret-app/keys/')).status).toBe(401);
    const noScope = await t.seed.caller(t.org, 'noscope@acme.example', 'owner', ['org:read']);
    expect((await manual('/api/0/projects/acme/secret-app/keys/', noScope)).status).toBe(403);
    // A member outside the project's team, with open membership off, may not see it: no rename revealed.
    const outsider = await t.seed.caller(t.org, 'member@acme.example', 'member', ['project:read']);
    const denied = await manual('/api/0/projects/acme/secret-app/keys/', outsider);
    expect(denied.status).toBe(403);
    expect(denied.location).toBeNull();
    expect(denied.body).toEqual({ detail: 'You do not have permission to perform this action.' });
    // Another organization's caller gets what it gets for the project under its new slug.
    const other = await t.seed.org('other-org');
    const stranger = await t.seed.caller(other, 'stranger@other.example');
    expect((await manual('/api/0/projects/acme/secret-app/keys/', stranger)).status).toBe(403);
    expect((await manual('/api/0/projects/acme/hidden-app/keys/', stranger)).status).toBe(403);
  });

  it('follows the project through several renames; a project that takes an old slug wins it', async () => {
    await t.seed.project(t.org, 'api');
    await rename('api', 'api-v2');
    await rename('api-v2', 'api-v3');
    expect((await manual('/api/0/projects/acme/api/', t.owner)).location).toBe('/api/0/projects/acme/api-v3/');
    expect((await manual('/api/0/projects/acme/api-v2/', t.owner)).location).toBe('/api/0/projects/acme/api-v3/');
    const newcomer = await t.seed.project(t.org, 'api');
    const res = await manual('/api/0/projects/acme/api/', t.owner);
    expect(res.status).toBe(200);
    expect((res.body as { id: string }).id).toBe(String(newcomer.id));
  });

  it('does not redirect to a deleted project, nor for an id or a slug never used', async () => {
    await t.seed.project(t.org, 'doomed');
    await rename('doomed', 'doomed-2');
    expect((await request(t.h, 'DELETE', '/api/0/projects/acme/doomed-2/', { token: t.owner })).status).toBe(204);
    expect((await manual('/api/0/projects/acme/doomed/', t.owner)).status).toBe(404);
    expect((await manual('/api/0/projects/acme/999999/', t.owner)).status).toBe(404);
    expect((await manual('/api/0/projects/acme/nothing-here/', t.owner)).status).toBe(404);
  });
});
