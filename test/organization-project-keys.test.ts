/** `GET /api/0/organizations/{org}/project-keys/` (S:src/sentry/api/endpoints/organization_project_keys.py). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectKeyListSchema } from '../src/schemas/project-key.ts';
import type { OrganizationRow, ProjectRow, TeamRow } from '../src/storage/schema.ts';
import { request, Seed, startOrg, type Harness } from './helpers/harness.ts';

let h: Harness;
let seed: Seed;
let org: OrganizationRow;
let backend: TeamRow;
let frontend: TeamRow;
let api: ProjectRow;
let web: ProjectRow;
let lonely: ProjectRow;
let owner: string;

beforeAll(async () => {
  ({ h, seed, org } = await startOrg());
  backend = await seed.team(org, 'backend');
  frontend = await seed.team(org, 'frontend');
  api = await seed.project(org, 'api', backend);
  web = await seed.project(org, 'web', frontend);
  lonely = await seed.project(org, 'lonely');
  const ownerUser = await seed.user('owner@acme.example');
  await seed.member(org, ownerUser, 'owner', backend);
  await seed.member(org, ownerUser, 'owner', frontend);
  owner = await seed.token(ownerUser);
});
afterAll(() => h.close());

const path = '/api/0/organizations/acme/project-keys/';
const projectIds = (body: any[]) => [...new Set(body.map((k) => k.projectId))].sort();

describe('organization-wide key list', () => {
  it("lists the keys of the caller's team projects, newest first", async () => {
    const res = await request(h, 'GET', path, { answer: projectKeyListSchema, token: owner });
    expect(res.status).toBe(200);
    expect(projectIds(res.body)).toEqual([api.id, web.id].sort());
    expect(res.body.map((k: any) => k.projectId)).toEqual([web.id, api.id]);
    expect(res.headers.get('link')).toContain(`<http://testserver${path}?&cursor=`);
  });

  it('covers every accessible project with project=-1 or projectSlug=$all', async () => {
    for (const query of ['project=-1', 'projectSlug=$all']) {
      const res = await request(h, 'GET', `${path}?${query}`, { answer: projectKeyListSchema, token: owner });
      expect(projectIds(res.body)).toEqual([api.id, web.id, lonely.id].sort());
    }
  });

  it('takes explicit projects, refusing one that is not there', async () => {
    const res = await request(h, 'GET', `${path}?project=${lonely.id}`, { answer: projectKeyListSchema, token: owner });
    expect(projectIds(res.body)).toEqual([lonely.id]);
    const slugs = await request(h, 'GET', `${path}?projectSlug=api&projectSlug=web`, { answer: projectKeyListSchema, token: owner });
    expect(projectIds(slugs.body)).toEqual([api.id, web.id].sort());
    expect((await request(h, 'GET', `${path}?project=999999`, { answer: projectKeyListSchema, token: owner })).status).toBe(403);
    for (const query of ['project=abc', 'project=', 'project=1.5']) {
      const bad = await request(h, 'GET', `${path}?${query}`, { answer: projectKeyListSchema, token: owner });
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({ detail: 'Invalid project parameter. Values must be numbers.' });
    }
  });

  it('refuses project and projectSlug together unless they name the same projects (_validate_fetched_projects)', async () => {
    // Slugs pick the projects, the ids are still parsed and then checked against them.
    const bad = await request(h, 'GET', `${path}?projectSlug=web&project=abc`, { answer: projectKeyListSchema, token: owner });
    expect(bad.status).toBe(400);
    const both = await request(h, 'GET', `${path}?projectSlug=web&project=${api.id}`, { answer: projectKeyListSchema, token: owner });
    expect(both.status).toBe(403);
    expect(both.body).toEqual({ detail: 'You do not have permission to perform this action.' });
    expect((await request(h, 'GET', `${path}?projectSlug=web&project=-1`, { answer: projectKeyListSchema, token: owner })).status).toBe(403);
    const same = await request(h, 'GET', `${path}?projectSlug=web&project=${web.id}`, { answer: projectKeyListSchema, token: owner });
    expect(same.status).toBe(200);
    expect(projectIds(same.body)).toEqual([web.id]);
    // $all makes every accessible project the answer, ids or not.
    const all = await request(h, 'GET', `${path}?projectSlug=$all&project=${api.id}`, { answer: projectKeyListSchema, token: owner });
    expect(projectIds(all.body)).toEqual([api.id, web.id, lonely.id].sort());
  });

  it('filters by team (slug or id) and by status', async () => {
    const bySlug = await request(h, 'GET', `${path}?team=backend`, { answer: projectKeyListSchema, token: owner });
    expect(projectIds(bySlug.body)).toEqual([api.id]);
    const byId = await request(h, 'GET', `${path}?team=${frontend.id}`, { answer: projectKeyListSchema, token: owner });
    expect(projectIds(byId.body)).toEqual([web.id]);
    const missing = await request(h, 'GET', `${path}?team=nope`, { answer: projectKeyListSchema, token: owner });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ detail: 'Team not found' });

    const key = await seed.defaultKey(api);
    await request(h, 'PUT', `/api/0/projects/acme/api/keys/${key.public_key}/`, { token: owner, body: { isActive: false } });
    const inactive = await request(h, 'GET', `${path}?status=inactive`, { answer: projectKeyListSchema, token: owner });
    expect(inactive.body.map((k: any) => k.id)).toEqual([key.public_key]);
    const active = await request(h, 'GET', `${path}?status=active`, { answer: projectKeyListSchema, token: owner });
    expect(active.body.map((k: any) => k.id)).not.toContain(key.public_key);
    expect((await request(h, 'GET', `${path}?status=weird`, { answer: projectKeyListSchema, token: owner })).body).toEqual([]);
  });

  it('gives an organization API key every project', async () => {
    const key = await seed.apiKey(org, ['org:read']);
    const res = await request(h, 'GET', path, { answer: projectKeyListSchema, basic: key });
    expect(projectIds(res.body)).toEqual([api.id, web.id, lonely.id].sort());
  });

  it('pages with per_page', async () => {
    const first = await request(h, 'GET', `${path}?project=-1&per_page=2`, { answer: projectKeyListSchema, token: owner });
    expect(first.body).toHaveLength(2);
    const next = /<([^>]+)>; rel="next"; results="true"/.exec(first.headers.get('link')!)![1]!;
    const second = await request(h, 'GET', next.replace('http://testserver', ''), { answer: projectKeyListSchema, token: owner });
    expect(second.body).toHaveLength(1);
    expect(new Set([...first.body, ...second.body].map((k: any) => k.id)).size).toBe(3);
  });
});
