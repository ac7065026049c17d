/**
 * Projects over the API: the organization's list (OffsetPaginator, filters, bookmarks first),
 * one project (retrieve, update, delete) and creating one under a team, with Sentry's answers
 * for bad input and without half-written data.
 */
import { describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../src/changes/bus.ts';
import { hashedColor } from '../src/domain/colors.ts';
import { SLUG_ERROR } from '../src/domain/slugs.ts';
import { detailedProjectSchema } from '../src/schemas/project.ts';
import { request, startOrg } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

const t = suiteFixture(async (onCleanup) => {
  const { h, seed, org } = await startOrg();
  onCleanup(() => h.close());
  const backend = await seed.team(org, 'backend');
  const frontend = await seed.team(org, 'frontend');
  for (const slug of ['alpha', 'bravo', 'charlie']) await seed.project(org, slug, backend);
  await seed.project(org, 'delta', frontend);
  await seed.project(org, 'echo'); // no team
  const owner = await seed.caller(org, 'owner@acme.example', 'owner', undefined, backend);
  const member = await seed.caller(org, 'member@acme.example', 'member');
  const apiKey = await seed.apiKey(org, ['org:read', 'project:admin']);
  const other = await seed.org('globex');
  await seed.project(other, 'zulu', await seed.team(other, 'ops'));
  return { h, seed, org, backend, frontend, owner, member, apiKey };
});

const list = (query = '', token = t.owner) => request(t.h, 'GET', `/api/0/organizations/acme/projects/${query}`, { token });
const slugs = (body: { slug: string }[]) => body.map((p) => p.slug);

describe('GET /organizations/{org}/projects/', () => {
  it('pages by slug with Sentry\'s offset cursors and follows the Link header to the end', async () => {
    const first = await list('?per_page=2');
    expect(first.status).toBe(200);
    expect(slugs(first.body)).toEqual(['alpha', 'bravo']);
    const link = first.headers.get('link')!;
    expect(link).toContain('cursor=2:-1:1>; rel="previous"; results="false"; cursor="2:-1:1"');
    expect(link).toContain('cursor=2:1:0>; rel="next"; results="true"; cursor="2:1:0"');

    const seen = [...slugs(first.body)];
    let next = /<([^>]+)>; rel="next"; results="true"/.exec(link)?.[1];
    while (next) {
      const page = await request(t.h, 'GET', next.replace('http://testserver', ''), { token: t.owner });
      seen.push(...slugs(page.body));
      next = /<([^>]+)>; rel="next"; results="true"/.exec(page.headers.get('link')!)?.[1];
    }
    expect(seen).toEqual(['alpha', 'bravo', 'charlie', 'delta', 'echo']);
  });

  it('lists the project summary, with teams, and nothing of another organization', async () => {
    const res = await list();
    expect(slugs(res.body)).not.toContain('zulu');
    const alpha = res.body.find((p: { slug: string }) => p.slug === 'alpha');
    expect(alpha).toMatchObject({
      team: { id: String(t.backend.id), slug: 'backend', name: 'backend' },
      teams: [{ id: String(t.backend.id), slug: 'backend', name: 'backend' }],
      isMember: true,
      hasAccess: true,
      firstEvent: null,
      environments: [],
      latestRelease: null,
      latestDeploys: null,
      eventProcessing: { symbolicationDegraded: false },
    });
    expect(alpha.access).toContain('project:admin');
    expect(res.body.find((p: { slug: string }) => p.slug === 'echo').team).toBeNull();
  });

  it('filters as Sentry does; an unknown filter key matches nothing', async () => {
    expect(slugs((await list('?query=team:frontend')).body)).toEqual(['delta']);
    expect(slugs((await list('?query=!team:backend')).body)).toEqual(['delta', 'echo']);
    expect(slugs((await list('?query=slug:bravo%20slug:echo')).body)).toEqual(['bravo', 'echo']);
    expect(slugs((await list('?query=HARL')).body)).toEqual(['charlie']);
    expect(slugs((await list('?query=is_member:1')).body)).toEqual(['alpha', 'bravo', 'charlie']);
    expect(slugs((await list('?query=color:blue')).body)).toEqual([]);
    const badId = await list('?query=id:abc');
    expect(badId.status).toBe(400);
    expect(badId.body).toEqual({ error: { params: { stats_period: { message: "All 'id' values must be integers." } } } });
    const badPeriod = await list('?statsPeriod=2w');
    expect(badPeriod.status).toBe(400);
    expect(badPeriod.body.error.params.stats_period.message).toMatch(/^Invalid stats_period/);
  });

  it('collapse=latestDeploys leaves the field out; all_projects=1 lists everything unpaginated', async () => {
    expect((await list('?collapse=latestDeploys')).body[0]).not.toHaveProperty('latestDeploys');
    const all = await list('?all_projects=1&per_page=1');
    expect(slugs(all.body)).toHaveLength(5);
    expect(all.headers.get('link')).toBeNull();
  });

  it('an organization API key sees the projects that belong to a team, as nobody\'s member', async () => {
    const res = await request(t.h, 'GET', '/api/0/organizations/acme/projects/', { basic: t.apiKey });
    expect(slugs(res.body)).toEqual(['alpha', 'bravo', 'charlie', 'delta']);
    expect(res.body[0]).toMatchObject({ isMember: false, hasAccess: true, access: [] });
  });

  it('a member without a team reaches the projects through open membership, with contributor scopes', async () => {
    const res = await list('', t.member);
    expect(res.status).toBe(200);
    expect(res.body[0]).toMatchObject({ isMember: false, hasAccess: true });
    expect(res.body[0].access).toContain('project:read');
    expect(res.body[0].access).not.toContain('project:write');
  });
});

describe('GET /projects/{org}/{project}/', () => {
  it('is the detailed project, its organization included even with collapse=organization', async () => {
    const res = await request(t.h, 'GET', '/api/0/projects/acme/alpha/?collapse=organization', { token: t.owner });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      slug: 'alpha',
      status: 'active',
      color: hashedColor('alpha'),
      organization: { slug: 'acme', links: { regionUrl: 'http://testserver' } },
      team: { slug: 'backend' },
      subjectPrefix: '[Sentry]',
      subjectTemplate: '$shortID - $title',
      allowedDomains: ['*'],
      dynamicSamplingBiases: null,
      highlightPreset: { tags: ['handled', 'level', 'url'], context: { trace: ['trace_id'] } },
    });
    expect(res.body.securityToken).toMatch(/^[0-9a-f]{32}$/);
    const again = await request(t.h, 'GET', '/api/0/projects/acme/alpha/', { token: t.owner, answer: detailedProjectSchema });
    expect(again.body.securityToken).toBe(res.body.securityToken);
  });

  it('has no team field for a project without a team; include=stats adds stats', async () => {
    const res = await request(t.h, 'GET', '/api/0/projects/acme/echo/?include=stats&expand=hasAlertIntegration', { token: t.owner });
    expect(res.body).not.toHaveProperty('team');
    expect(res.body.teams).toEqual([]);
    expect(res.body.stats).toEqual({ unresolved: 0 });
    expect(res.body.hasAlertIntegrationInstalled).toBe(false);
  });

  it('is found by id as by slug', async () => {
    const bySlug = await request(t.h, 'GET', '/api/0/projects/acme/bravo/', { token: t.owner, answer: detailedProjectSchema });
    const byId = await request(t.h, 'GET', `/api/0/projects/${t.org.id}/${bySlug.body.id}/`, { token: t.owner });
    expect(byId.body.slug).toBe('bravo');
  });
});

describe('PUT /projects/{org}/{project}/', () => {
  const put = (slug: string, body: unknown, token = t.owner) => request(t.h, 'PUT', `/api/0/projects/acme/${slug}/`, { token, body, answer: detailedProjectSchema });

  it('renames, changes the slug, platform and settings, and the answer shows them', async () => {
    const changes = {
      name: 'Charlie App',
      slug: 'charlie-app',
      platform: 'python',
      subjectPrefix: '[c]',
      subjectTemplate: '$title',
      resolveAge: 48,
      highlightTags: ['release', 'release'],
      highlightContext: { user: ['id', 'email'] },
    };
    const res = await put('charlie', changes);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject(changes);
    // The old slug redirects to the new one (ProjectRedirect; test/project-redirects.test.ts).
    const old = await fetch(`${t.h.baseUrl}/api/0/projects/acme/charlie/`, { redirect: 'manual', headers: { authorization: `Bearer ${t.owner}` } });
    expect([old.status, old.headers.get('location')]).toEqual([302, '/api/0/projects/acme/charlie-app/']);
    const entries = await t.h.db.stores.auditLog.list(t.org.id);
    expect(entries[0]).toMatchObject({ event: 'project.edit', actor_label: 'owner@acme.example' });
    await put('charlie-app', { slug: 'charlie' });
  });

  it('answers Sentry\'s 400s for a taken, reserved or malformed slug and a bad platform', async () => {
    expect((await put('alpha', { slug: 'bravo' })).body).toEqual({ slug: ['Another project (bravo) is already using that slug'] });
    expect((await put('alpha', { slug: 'settings' })).body).toEqual({ slug: ['The slug "settings" is reserved and not allowed.'] });
    expect((await put('alpha', { slug: 'Not Valid' })).body).toEqual({ slug: [SLUG_ERROR] });
    expect((await put('alpha', { platform: 'cobol' })).body).toEqual({ platform: ['Invalid platform'] });
    expect((await put('alpha', { highlightTags: 'release' })).body).toEqual({ highlightTags: ['Expected a list of items but got type "str".'] });
    expect((await request(t.h, 'GET', '/api/0/projects/acme/alpha/', { token: t.owner, answer: detailedProjectSchema })).body.name).toBe('alpha');
  });

  it('lets a member bookmark, and refuses them any other field', async () => {
    const starred = await put('delta', { isBookmarked: true }, t.member);
    expect(starred.status).toBe(200);
    expect(starred.body.isBookmarked).toBe(true);
    expect(slugs((await list('', t.member)).body)[0]).toBe('delta');
    expect((await list()).body[0].slug).toBe('alpha'); // the owner's order is their own
    const rename = await put('delta', { isBookmarked: false, name: 'Mine now' }, t.member);
    expect(rename.status).toBe(403);
    expect(rename.body).toEqual({ detail: 'You do not have permission to perform this action.' });
  });

  it("ignores a member's falsy admin fields (0, \"\", [], {}) instead of applying them", async () => {
    const before = (await request(t.h, 'GET', '/api/0/projects/acme/delta/', { token: t.owner, answer: detailedProjectSchema })).body;
    const falsy = { name: 0, slug: '', platform: '', allowedDomains: [], highlightTags: [], highlightContext: {}, resolveAge: 0, subjectPrefix: '' };
    for (const [field, value] of Object.entries(falsy) as [keyof typeof falsy, unknown][]) {
      const res = await put('delta', { isBookmarked: true, [field]: value }, t.member);
      expect(res.status, field).toBe(200);
      const after = (await request(t.h, 'GET', '/api/0/projects/acme/delta/', { token: t.owner, answer: detailedProjectSchema })).body;
      expect(after[field], field).toEqual(before[field]);
    }
  });

  it('answers an organization credential with a 400 that says why (Sentry sends it empty)', async () => {
    const res = await request(t.h, 'PUT', '/api/0/projects/acme/alpha/', { basic: t.apiKey, body: { name: 'x' } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ detail: 'Only a user can change a project: organization auth tokens and API keys cannot.' });
  });
});

describe('POST /teams/{org}/{team}/projects/', () => {
  const create = (body: unknown, token = t.owner, team = 'backend') => request(t.h, 'POST', `/api/0/teams/acme/${team}/projects/`, { token, body });
  const projectCount = async () => (await t.h.db.kysely.selectFrom('projects').select('id').execute()).length;

  it('validates like ProjectPostSerializer, writing nothing', async () => {
    const before = await projectCount();
    expect((await create({})).body).toEqual({ name: ['This field is required.'] });
    expect((await create({ name: 'x'.repeat(51) })).body).toEqual({ name: ['Ensure this field has no more than 50 characters.'] });
    expect((await create({ name: 'settings' })).body).toEqual({ name: ['The name "settings" is reserved and not allowed.'] });
    expect((await create({ name: 'x', slug: 'Bad Slug' })).body).toEqual({ slug: [SLUG_ERROR] });
    expect((await create({ name: 'x', slug: '1234' })).body).toEqual({ slug: [SLUG_ERROR] });
    expect((await create({ name: 'x', platform: 'cobol' })).body).toEqual({ platform: ['Invalid platform'] });
    expect((await create({ name: 'x', platform: 'nintendo-switch' })).body).toEqual({
      platform: ["Console platform 'nintendo-switch' is not enabled for this organization"],
    });
    const taken = await create({ name: 'x', slug: 'alpha' });
    expect(taken.status).toBe(409);
    expect(taken.body).toEqual({ detail: 'A project with this slug already exists.' });
    expect(await projectCount()).toBe(before);
  });

  it('derives the slug from the name, blank platform allowed, and gives exactly one Default key', async () => {
    const res = await create({ name: 'My Shiny App!', platform: '' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ slug: 'my-shiny-app', name: 'My Shiny App!', platform: null, team: { slug: 'backend' } });
    const keys = await request(t.h, 'GET', '/api/0/projects/acme/my-shiny-app/keys/', { token: t.owner });
    expect(keys.body.map((k: { name: string; isActive: boolean }) => [k.name, k.isActive])).toEqual([['Default', true]]);
  });

  it('lets a member of the team create (project:read and membership); a member of none is refused', async () => {
    const teamMember = await t.seed.caller(t.org, 'dev@acme.example', 'member', undefined, t.frontend);
    const res = await create({ name: 'dev-app' }, teamMember, 'frontend');
    expect(res.status).toBe(201);
    expect(res.body.access).not.toContain('project:write');
    expect((await create({ name: 'nope' }, t.member, 'frontend')).status).toBe(403);
  });

  it('answers 404 for an unknown team and 403 for a team of another organization', async () => {
    expect((await create({ name: 'x' }, t.owner, 'ghost')).status).toBe(404);
    const res = await request(t.h, 'POST', '/api/0/teams/globex/ops/projects/', { token: t.owner, body: { name: 'x' } });
    expect(res.status).toBe(403);
  });
});

describe('DELETE /projects/{org}/{project}/', () => {
  it('hides the project and its keys at once, tells the change bus after commit, and frees the slug', async () => {
    const created = await request(t.h, 'POST', '/api/0/teams/acme/backend/projects/', { token: t.owner, body: { name: 'doomed' } });
    const projectId = Number(created.body.id);
    const events: ChangeEvent[] = [];
    const unsubscribe = t.h.services.changes.subscribe((event) => {
      events.push(event);
      // After commit: the project is already invisible when listeners hear of it.
      void t.h.db.stores.projects.find(t.org.id, { id: projectId }).then((p) => expect(p).toBeUndefined());
    });
    const res = await request(t.h, 'DELETE', '/api/0/projects/acme/doomed/', { token: t.owner });
    unsubscribe();
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(events).toEqual([{ type: 'project', projectId }]);
    expect((await request(t.h, 'GET', '/api/0/projects/acme/doomed/', { token: t.owner, answer: detailedProjectSchema })).status).toBe(404);
    expect((await request(t.h, 'GET', '/api/0/projects/acme/doomed/keys/', { token: t.owner })).status).toBe(404);
    const orgKeys = await request(t.h, 'GET', '/api/0/organizations/acme/project-keys/?project=-1', { token: t.owner });
    expect(orgKeys.body.map((k: { projectId: number }) => k.projectId)).not.toContain(projectId);
    expect(slugs((await list()).body)).not.toContain('doomed');
    expect((await t.h.db.stores.auditLog.list(t.org.id))[0]).toMatchObject({ event: 'project.remove' });

    const reborn = await request(t.h, 'POST', '/api/0/teams/acme/backend/projects/', { token: t.owner, body: { name: 'doomed', slug: 'doomed' } });
    expect(reborn.status).toBe(201);
    expect(reborn.body.id).not.toBe(String(projectId));
  });

  it('is refused to a member, with nothing changed', async () => {
    const res = await request(t.h, 'DELETE', '/api/0/projects/acme/alpha/', { token: t.member });
    expect(res.status).toBe(403);
    expect((await request(t.h, 'GET', '/api/0/projects/acme/alpha/', { token: t.owner, answer: detailedProjectSchema })).status).toBe(200);
  });
});

describe('open membership off (finding L8)', () => {
  it("lets an owner turn it off, after which a member reaches only their own teams' projects and keys", async () => {
    const closed = await t.seed.org('closed');
    const red = await t.seed.team(closed, 'red');
    const blue = await t.seed.team(closed, 'blue');
    await t.seed.project(closed, 'mine', red);
    await t.seed.project(closed, 'theirs', blue);
    const boss = await t.seed.caller(closed, 'boss@closed.example', 'owner');
    const redMember = await t.seed.caller(closed, 'red@closed.example', 'member', undefined, red);
    const asMember = (path: string) => request(t.h, 'GET', path, { token: redMember });

    // Sentry's default: open.
    expect((await asMember('/api/0/projects/closed/theirs/')).status).toBe(200);
    expect((await request(t.h, 'PUT', '/api/0/organizations/closed/', { token: redMember, body: { openMembership: false } })).status).toBe(403);
    const off = await request(t.h, 'PUT', '/api/0/organizations/closed/', { token: boss, body: { openMembership: false } });
    expect(off.status).toBe(200);
    expect(off.body.openMembership).toBe(false);
    expect(off.body.features).not.toContain('open-membership');

    expect((await asMember('/api/0/projects/closed/mine/')).status).toBe(200);
    expect((await asMember('/api/0/projects/closed/mine/keys/')).status).toBe(200);
    expect((await asMember('/api/0/projects/closed/theirs/')).status).toBe(403);
    expect((await asMember('/api/0/projects/closed/theirs/keys/')).status).toBe(403);
    const listed = await asMember('/api/0/organizations/closed/projects/');
    expect(listed.body.filter((p: { hasAccess: boolean }) => p.hasAccess).map((p: { slug: string }) => p.slug)).toEqual(['mine']);
    // The owner's role is global: every project still.
    expect((await request(t.h, 'GET', '/api/0/projects/closed/theirs/', { token: boss })).status).toBe(200);

    const on = await request(t.h, 'PUT', '/api/0/organizations/closed/', { token: boss, body: { openMembership: true } });
    expect(on.body.openMembership).toBe(true);
    expect((await asMember('/api/0/projects/closed/theirs/')).status).toBe(200);
  });
});
