/**
 * Teams over the API: the organization's list, creating one, one team's details, and what each
 * says about the caller (membership, team role, scopes).
 */
import { describe, expect, it } from 'vitest';
import { SLUG_ERROR } from '../src/domain/slugs.ts';
import { request, startOrg } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

const t = suiteFixture(async (onCleanup) => {
  const { h, seed, org } = await startOrg();
  onCleanup(() => h.close());
  const backend = await seed.team(org, 'backend');
  await seed.team(org, 'analytics');
  await seed.project(org, 'web', backend);
  const owner = await seed.caller(org, 'owner@acme.example', 'owner', undefined, backend);
  const member = await seed.caller(org, 'member@acme.example', 'member', undefined, backend);
  const manager = await seed.caller(org, 'manager@acme.example', 'manager');
  const other = await seed.org('globex');
  await seed.team(other, 'secret-team');
  return { h, org, backend, owner, member, manager };
});

const teams = (query = '', token = t.owner) => request(t.h, 'GET', `/api/0/organizations/acme/teams/${query}`, { token });
const createTeam = (body: unknown, token = t.owner) => request(t.h, 'POST', '/api/0/organizations/acme/teams/', { token, body });

describe('GET /organizations/{org}/teams/', () => {
  it('lists the teams by slug, each with its projects unless detailed=0', async () => {
    const res = await teams();
    expect(res.status).toBe(200);
    expect(res.body.map((t: { slug: string }) => t.slug)).toEqual(['analytics', 'backend']);
    const backendJson = res.body[1];
    expect(backendJson).toMatchObject({
      id: String(t.backend.id),
      isMember: true,
      teamRole: 'admin',
      memberCount: 2,
      hasAccess: true,
      isPending: false,
      flags: { 'idp:provisioned': false },
      avatar: { avatarType: 'letter_avatar', avatarUuid: null },
      externalTeams: [],
    });
    expect(backendJson.projects.map((p: { slug: string }) => p.slug)).toEqual(['web']);
    expect(backendJson.projects[0]).toMatchObject({ status: 'active', isPublic: false });
    expect((await teams('?detailed=0')).body[1]).not.toHaveProperty('projects');
  });

  it("describes the caller's own standing in each team", async () => {
    const [analytics, backendJson] = (await teams('', t.member)).body;
    expect(backendJson).toMatchObject({ isMember: true, teamRole: 'contributor', hasAccess: true });
    expect(backendJson.access).toContain('project:read');
    expect(backendJson.access).not.toContain('team:admin');
    // Open membership reaches a team one is not in, without a role in it.
    expect(analytics).toMatchObject({ isMember: false, teamRole: null, hasAccess: true });
    // A manager's role raises every team to Team Admin.
    const managed = (await teams('', t.manager)).body[0];
    expect(managed).toMatchObject({ isMember: false, teamRole: null });
    expect(managed.access).toContain('team:admin');
  });

  it('filters with query, refuses a non-numeric id, and shows nothing of another organization', async () => {
    expect((await teams('?query=slug:backend')).body.map((t: { slug: string }) => t.slug)).toEqual(['backend']);
    expect((await teams('?query=ANALY')).body.map((t: { slug: string }) => t.slug)).toEqual(['analytics']);
    expect((await teams('?query=hasExternalTeams:true')).body).toEqual([]);
    const bad = await teams('?query=id:abc');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ detail: 'Invalid id value' });
    expect(JSON.stringify((await teams()).body)).not.toContain('secret-team');
  });

  it('pages by slug with offset cursors', async () => {
    const first = await teams('?per_page=1');
    expect(first.body.map((t: { slug: string }) => t.slug)).toEqual(['analytics']);
    expect(first.headers.get('link')).toContain('rel="next"; results="true"; cursor="1:1:0"');
    const second = await teams('?per_page=1&cursor=1:1:0');
    expect(second.body.map((t: { slug: string }) => t.slug)).toEqual(['backend']);
    expect(second.headers.get('link')).toContain('rel="next"; results="false"');
  });
});

describe('POST /organizations/{org}/teams/', () => {
  it('creates a team from a name, derives its slug, and makes the creator a member', async () => {
    const res = await createTeam({ name: 'Data Science' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ slug: 'data-science', name: 'Data Science', isMember: true, teamRole: 'admin', memberCount: 1 });
    const again = await createTeam({ name: 'Data Science' });
    expect(again.body.slug).toMatch(/^data-science-[a-z0-9]+$/);
  });

  it("answers Sentry's errors, writing nothing", async () => {
    const before = (await teams()).body.length;
    const taken = await createTeam({ slug: 'backend' });
    expect(taken.status).toBe(409);
    expect(taken.body).toEqual({ non_field_errors: ['A team with this slug already exists.'], detail: 'A team with this slug already exists.' });
    expect((await createTeam({})).body).toEqual({ non_field_errors: ['Name or slug is required'] });
    expect((await createTeam({ slug: 'Not A Slug' })).body).toEqual({ slug: [SLUG_ERROR] });
    expect((await createTeam({ name: 'x'.repeat(65) })).body).toEqual({ name: ['Ensure this field has no more than 64 characters.'] });
    expect((await teams()).body.length).toBe(before);
  });

  it('is refused to a member (no org:write, team:write)', async () => {
    const res = await createTeam({ slug: 'members-team' }, t.member);
    expect(res.status).toBe(403);
  });
});

describe('GET /teams/{org}/{team}/', () => {
  it('is the team with its organization, unless collapsed; expand=projects adds them', async () => {
    const res = await request(t.h, 'GET', '/api/0/teams/acme/backend/?expand=projects', { token: t.member });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ slug: 'backend', organization: { slug: 'acme', links: { regionUrl: 'http://testserver' } } });
    expect(res.body.projects.map((p: { slug: string }) => p.slug)).toEqual(['web']);
    const collapsed = await request(t.h, 'GET', '/api/0/teams/acme/backend/?collapse=organization', { token: t.member });
    expect(collapsed.body).not.toHaveProperty('organization');
    expect(collapsed.body).not.toHaveProperty('projects');
  });

  it('is found by id, 404 when unknown, 403 in another organization', async () => {
    expect((await request(t.h, 'GET', `/api/0/teams/${t.org.id}/${t.backend.id}/`, { token: t.owner })).body.slug).toBe('backend');
    expect((await request(t.h, 'GET', '/api/0/teams/acme/ghost/', { token: t.owner })).status).toBe(404);
    expect((await request(t.h, 'GET', '/api/0/teams/globex/secret-team/', { token: t.owner })).status).toBe(403);
  });

  it("lists the team's projects", async () => {
    const res = await request(t.h, 'GET', '/api/0/teams/acme/backend/projects/', { token: t.member });
    expect(res.body.map((p: { slug: string }) => p.slug)).toEqual(['web']);
    expect(res.headers.get('link')).toContain('rel="next"; results="false"');
  });
});
