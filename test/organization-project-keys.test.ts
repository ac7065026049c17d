/** `GET /api/0/organizations/{org}/project-keys/` (S:src/sentry/api/endpoints/organization_project_keys.py). */
import { describe, expect, it } from 'vitest';
import { projectKeyListSchema } from '../src/schemas/project-key.ts';
import { request, startOrg } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

const t = suiteFixture(async (onCleanup) => {
  const { h, seed, org } = await startOrg();
  onCleanup(() => h.close());
  const backend = await seed.team(org, 'backend');
  const frontend = await seed.team(org, 'frontend');
  const api = await seed.project(org, 'api', backend);
  const web = await seed.project(org, 'web', frontend);
  const lonely = await seed.project(org, 'lonely');
  const ownerUser = await seed.user('owner@acme.example');
  await seed.member(org, ownerUser, 'owner', backend);
  await seed.member(org, ownerUser, 'owner', frontend);
  const owner = await seed.token(ownerUser);
  return { h, seed, org, frontend, api, web, lonely, owner };
});

const path = '/api/0/organizations/acme/project-keys/';
const projectIds = (body: any[]) => [...new Set(body.map((k) => k.projectId))].sort();

describe('organization-wide key list', () => {
  it("lists the keys of the caller's team projects, newest first", async () => {
    const res = await request(t.h, 'GET', path, { answer: projectKeyListSchema, token: t.owner });
    expect(res.status).toBe(200);
    expect(projectIds(res.body)).toEqual([t.api.id, t.web.id].sort());
    expect(res.body.map((k: any) => k.projectId)).toEqual([t.web.id, t.api.id]);
    expect(res.headers.get('link')).toContain(`<http://testserver${path}?&cursor=`);
  });

  it('covers every accessible project with project=-1 or projectSlug=$all', async () => {
    for (const query of ['project=-1', 'projectSlug=$all']) {
      const res = await request(t.h, 'GET', `${path}?${query}`, { answer: projectKeyListSchema, token: t.owner });
      expect(projectIds(res.body)).toEqual([t.api.id, t.web.id, t.lonely.id].sort());
    }
  });

  it('takes explicit projects, refusing one that is not there', async () => {
    const res = await request(t.h, 'GET', `${path}?project=${t.lonely.id}`, { answer: projectKeyListSchema, token: t.owner });
    expect(projectIds(res.body)).toEqual([t.lonely.id]);
    const slugs = await request(t.h, 'GET', `${path}?projectSlug=api&projectSlug=web`, { answer: projectKeyListSchema, token: t.owner });
    expect(projectIds(slugs.body)).toEqual([t.api.id, t.web.id].sort());
    expect((await request(t.h, 'GET', `${path}?project=999999`, { answer: projectKeyListSchema, token: t.owner })).status).toBe(403);
    for (const query of ['project=abc', 'project=', 'project=1.5']) {
      const bad = await request(t.h, 'GET', `${path}?${query}`, { answer: projectKeyListSchema, token: t.owner });
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({ detail: 'Invalid project parameter. Values must be numbers.' });
    }
  });

  it('refuses project and projectSlug together unless they name the same projects (_validate_fetched_projects)', async () => {
    // Slugs pick the projects, the ids are still parsed and then checked against them.
    const bad = await request(t.h, 'GET', `${path}?projectSlug=web&project=abc`, { answer: projectKeyListSchema, token: t.owner });
    expect(bad.status).toBe(400);
    const both = await request(t.h, 'GET', `${path}?projectSlug=web&project=${t.api.id}`, { answer: projectKeyListSchema, token: t.owner });
    expect(both.status).toBe(403);
    expect(both.body).toEqual({ detail: 'You do not have permission to perform this action.' });
    expect((await request(t.h, 'GET', `${path}?projectSlug=web&project=-1`, { answer: projectKeyListSchema, token: t.owner })).status).toBe(403);
    const same = await request(t.h, 'GET', `${path}?projectSlug=web&project=${t.web.id}`, { answer: projectKeyListSchema, token: t.owner });
    expect(same.status).toBe(200);
    expect(projectIds(same.body)).toEqual([t.web.id]);
    // $all makes every accessible project the answer, ids or not.
    const all = await request(t.h, 'GET', `${path}?projectSlug=$all&project=${t.api.id}`, { answer: projectKeyListSchema, token: t.owner });
    expect(projectIds(all.body)).toEqual([t.api.id, t.web.id, t.lonely.id].sort());
  });

  it('filters by team (slug or id) and by status', async () => {
    const bySlug = await request(t.h, 'GET', `${path}?team=backend`, { answer: projectKeyListSchema, token: t.owner });
    expect(projectIds(bySlug.body)).toEqual([t.api.id]);
    const byId = await request(t.h, 'GET', `${path}?team=${t.frontend.id}`, { answer: projectKeyListSchema, token: t.owner });
    expect(projectIds(byId.body)).toEqual([t.web.id]);
    const missing = await request(t.h, 'GET', `${path}?team=nope`, { answer: projectKeyListSchema, token: t.owner });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ detail: 'Team not found' });

    const key = await t.seed.defaultKey(t.api);
    await request(t.h, 'PUT', `/api/0/projects/acme/api/keys/${key.public_key}/`, { token: t.owner, body: { isActive: false } });
    const inactive = await request(t.h, 'GET', `${path}?status=inactive`, { answer: projectKeyListSchema, token: t.owner });
    expect(inactive.body.map((k: any) => k.id)).toEqual([key.public_key]);
    const active = await request(t.h, 'GET', `${path}?status=active`, { answer: projectKeyListSchema, token: t.owner });
    expect(active.body.map((k: any) => k.id)).not.toContain(key.public_key);
    expect((await request(t.h, 'GET', `${path}?status=weird`, { answer: projectKeyListSchema, token: t.owner })).body).toEqual([]);
  });

  it('gives an organization API key every project', async () => {
    const key = await t.seed.apiKey(t.org, ['org:read']);
    const res = await request(t.h, 'GET', path, { answer: projectKeyListSchema, basic: key });
    expect(projectIds(res.body)).toEqual([t.api.id, t.web.id, t.lonely.id].sort());
  });

  it('pages with per_page', async () => {
    const first = await request(t.h, 'GET', `${path}?project=-1&per_page=2`, { answer: projectKeyListSchema, token: t.owner });
    expect(first.body).toHaveLength(2);
    const next = /<([^>]+)>; rel="next"; results="true"/.exec(first.headers.get('link')!)![1]!;
    const second = await request(t.h, 'GET', next.replace('http://testserver', ''), { answer: projectKeyListSchema, token: t.owner });
    expect(second.body).toHaveLength(1);
    expect(new Set([...first.body, ...second.body].map((k: any) => k.id)).size).toBe(3);
  });
});
