/**
 * Organizations over the API: the list of one's own (newest first, filters, owner=1, paging by
 * creation date) and one organization in detail.
 */
import { describe, expect, it } from 'vitest';
import { request, startOrg } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

const t = suiteFixture(async (onCleanup) => {
  const { h, seed, org: acme } = await startOrg();
  onCleanup(() => h.close());
  const beta = await seed.org('beta-corp');
  const gamma = await seed.org('gamma');
  await seed.org('unrelated');
  const user = await seed.user('owner@example.com');
  await seed.member(acme, user, 'owner');
  await seed.member(beta, user, 'member');
  await seed.member(gamma, user, 'owner');
  const owner = await seed.token(user);
  const coOwner = await seed.user('co@example.com');
  await seed.member(gamma, coOwner, 'owner');
  await seed.member(gamma, await seed.user('third@example.com'), 'member');
  const member = await seed.caller(acme, 'member@example.com', 'member');
  await seed.project(acme, 'web', await seed.team(acme, 'backend'));
  return { h, seed, acme, owner, member };
});

const orgs = (query = '', token = t.owner) => request(t.h, 'GET', `/api/0/organizations/${query}`, { token });
const slugs = (body: { slug: string }[]) => body.map((o) => o.slug);

describe('GET /organizations/', () => {
  it("lists the caller's organizations, newest first, as summaries without feature flags", async () => {
    const res = await orgs();
    expect(res.status).toBe(200);
    expect(slugs(res.body)).toEqual(['gamma', 'beta-corp', 'acme']);
    expect(res.body[2]).toEqual({
      id: String(t.acme.id),
      slug: 'acme',
      status: { id: 'active', name: 'active' },
      name: 'acme',
      dateCreated: t.acme.date_created,
      isEarlyAdopter: false,
      require2FA: false,
      requireEmailVerification: false,
      avatar: { avatarType: 'letter_avatar', avatarUuid: null, avatarUrl: null },
      allowMemberInvite: true,
      allowMemberProjectCreation: true,
      allowSuperuserAccess: true,
      links: { organizationUrl: 'http://testserver', regionUrl: 'http://testserver' },
      hasAuthProvider: false,
    });
  });

  it('pages by creation date and follows the Link header', async () => {
    const first = await orgs('?per_page=2');
    expect(slugs(first.body)).toEqual(['gamma', 'beta-corp']);
    const next = /<([^>]+)>; rel="next"; results="true"/.exec(first.headers.get('link')!)?.[1];
    expect(next).toBeDefined();
    const second = await request(t.h, 'GET', next!.replace('http://testserver', ''), { token: t.owner });
    expect(slugs(second.body)).toEqual(['acme']);
    expect(second.headers.get('link')).toContain('rel="next"; results="false"');
  });

  it('filters by slug, id, status, member email and free text; an unknown key matches nothing', async () => {
    expect(slugs((await orgs('?query=slug:ACME')).body)).toEqual(['acme']);
    expect(slugs((await orgs(`?query=id:${t.acme.id}`)).body)).toEqual(['acme']);
    expect(slugs((await orgs('?query=corp')).body)).toEqual(['beta-corp']);
    expect(slugs((await orgs('?query=email:co@example.com')).body)).toEqual(['gamma']);
    expect(slugs((await orgs('?query=status:active')).body)).toHaveLength(3);
    expect(slugs((await orgs('?query=status:gone')).body)).toEqual([]);
    expect(slugs((await orgs('?query=planet:mars')).body)).toEqual([]);
  });

  it('sortBy=members puts the largest first', async () => {
    expect(slugs((await orgs('?sortBy=members')).body)[0]).toBe('gamma');
  });

  it('owner=1 lists the organizations one owns, and whether one is the only owner', async () => {
    const res = await orgs('?owner=1');
    expect(res.body.map((o: { organization: { slug: string }; singleOwner: boolean }) => [o.organization.slug, o.singleOwner])).toEqual([
      ['acme', true],
      ['gamma', false],
    ]);
    expect(res.body[0].organization.features).toEqual(['open-membership', 'shared-issues']);
  });

  it('an organization credential lists only its organization', async () => {
    const key = await t.seed.apiKey(t.acme, ['org:read']);
    expect(slugs((await request(t.h, 'GET', '/api/0/organizations/', { basic: key })).body)).toEqual(['acme']);
  });
});

describe('GET /organizations/{org}/', () => {
  it('is the detailed organization with its teams and projects, and the caller\'s role and scopes', async () => {
    const res = await request(t.h, 'GET', '/api/0/organizations/acme/', { token: t.member });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      slug: 'acme',
      role: 'member',
      orgRole: 'member',
      openMembership: true,
      defaultRole: 'member',
      quota: { maxRate: null, maxRateInterval: 60, accountLimit: 0, projectLimit: 100 },
      onboardingTasks: [],
      trustedRelays: [],
      isDynamicallySampled: false,
    });
    expect(res.body.access).toEqual([...res.body.access].sort());
    expect(res.body.access).toContain('org:read');
    expect(res.body.access).not.toContain('org:write');
    expect(res.body.orgRoleList.map((r: { id: string }) => r.id)).toEqual(['member', 'admin', 'manager', 'owner']);
    expect(res.body.orgRoleList[3]).toMatchObject({ id: 'owner', isGlobal: true, is_global: true, minimumTeamRole: 'admin' });
    expect(res.body.teamRoleList.map((r: { id: string; isMinimumRoleFor: string | null }) => [r.id, r.isMinimumRoleFor])).toEqual([
      ['contributor', null],
      ['admin', 'admin'],
    ]);
    expect(res.body.teams.map((t: { slug: string }) => t.slug)).toEqual(['backend']);
    expect(res.body.projects.map((p: { slug: string }) => p.slug)).toEqual(['web']);
    expect(res.body).not.toHaveProperty('features');
  });

  it('detailed=0 leaves teams and projects out; include_feature_flags=1 adds features', async () => {
    const brief = await request(t.h, 'GET', '/api/0/organizations/acme/?detailed=0&include_feature_flags=1', { token: t.owner });
    expect(brief.body).not.toHaveProperty('teams');
    expect(brief.body).not.toHaveProperty('projects');
    // acme has an API key by now (an earlier test made one): Sentry then lists "api-keys" too.
    expect(brief.body.features).toEqual(['api-keys', 'open-membership', 'shared-issues']);
    expect(brief.body.extraOptions).toEqual({ traces: { spansExtractionDate: null, checkSpanExtractionDate: null } });
  });

  it('is found by id; an organization one is not a member of is 403, an unknown one 404', async () => {
    expect((await request(t.h, 'GET', `/api/0/organizations/${t.acme.id}/`, { token: t.owner })).body.slug).toBe('acme');
    const foreign = await request(t.h, 'GET', '/api/0/organizations/unrelated/', { token: t.owner });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toEqual({ detail: 'You do not have permission to perform this action.' });
    expect((await request(t.h, 'GET', '/api/0/organizations/ghost/', { token: t.owner })).status).toBe(404);
  });

  it('answers an organization API key without a role', async () => {
    const key = await t.seed.apiKey(t.acme, ['org:read']);
    const res = await request(t.h, 'GET', '/api/0/organizations/acme/', { basic: key });
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('orgRole');
    expect(res.body.access).toEqual(['org:read']);
  });
});
