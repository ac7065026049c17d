/**
 * Every route × every kind of caller, with Sentry's exact answers; nothing of the victim
 * organization leaks to anyone who may not see it.
 */
import { describe, expect, it } from 'vitest';
import { request, Seed, startHarness, TEST_ACTOR } from './helpers/harness.ts';
import { signIn, type BrowserSession } from './helpers/browser-session.ts';
import { basic, bearer, CALLERS, runMatrix, type RouteCase } from './helpers/security-matrix.ts';
import { suiteFixture } from './helpers/fixture.ts';

const tokens: Record<string, string> = {};
const sessions: Record<string, BrowserSession> = {};
const PASSWORD = 'a password for the matrix';
/** Names of what allowed callers create, unique so each creation succeeds. */
let created = 0;

const PROJECT_READ = ['project:read', 'project:write', 'project:admin'] as const;
const PROJECT_WRITE = ['project:write', 'project:admin'] as const;
const PROJECT_ADMIN = ['project:admin'] as const;
const ORG_READ = ['org:read', 'org:write', 'org:admin'] as const;
const PROJECT_RELAXED_PUT = ['project:read', 'project:write', 'project:admin'] as const;
const TEAM_CREATE = ['org:write', 'org:admin', 'team:write'] as const;
const TEAM_READ = ['team:read', 'team:write', 'team:admin'] as const;
const TEAM_PROJECT_CREATE = ['project:write', 'project:admin', 'org:write', 'org:admin'] as const;
const EVENT_READ = ['event:read', 'event:write', 'event:admin'] as const;

const t = suiteFixture(async (onCleanup) => {
  const h = await startHarness();
  onCleanup(() => h.close());
  const seed = new Seed(h.services);
  const org = await seed.org('victim');
  const team = await seed.team(org, 'backend');
  const project = await seed.project(org, 'web');
  const key = await seed.defaultKey(project);
  const other = await seed.org('intruder');
  await seed.project(other, 'theirs');

  tokens.owner = await seed.caller(org, 'owner@victim.example', 'owner');
  tokens.member = await seed.caller(org, 'member@victim.example', 'member');
  tokens.noScope = await seed.caller(org, 'narrow@victim.example', 'owner', 'event:read');
  tokens.projectOnly = await seed.caller(org, 'projects@victim.example', 'owner', 'project:read');
  tokens.foreignOwner = await seed.caller(other, 'owner@intruder.example', 'owner');
  const expiredUser = await seed.user('expired@victim.example');
  await seed.member(org, expiredUser, 'owner');
  tokens.expired = await seed.token(expiredUser, undefined, { expiresAt: new Date(Date.now() - 1000).toISOString() });
  tokens.foreignApiKey = await seed.apiKey(other, ['project:admin', 'org:admin', 'team:admin']);
  tokens.orgToken = await seed.orgToken(org);
  tokens.disabledKey = await seed.apiKey(org, ['project:admin', 'org:read']);
  const disabled = await h.db.kysely.selectFrom('api_keys').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow();
  await h.services.credentials.revokeApiKey(org, disabled.id, TEST_ACTOR);
  const revokedUser = await seed.user('revoked@victim.example');
  await seed.member(org, revokedUser, 'owner');
  const revoked = await h.services.credentials.issueUserToken(revokedUser, ['project:admin', 'org:read']);
  tokens.revoked = revoked.token;
  await h.services.credentials.revokeUserToken(revoked.id, TEST_ACTOR);
  tokens.expiredKey = (
    await h.services.credentials.issueApiKey(org, ['project:admin', 'org:read'], { expiresAt: new Date(Date.now() - 1000).toISOString() }, TEST_ACTOR)
  ).key;
  tokens.revokedOrgToken = await seed.orgToken(org, ['project:admin', 'org:read']);
  const orgTokenRow = await h.db.kysely.selectFrom('org_auth_tokens').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow();
  await h.services.credentials.revokeOrgToken(org, orgTokenRow.id, TEST_ACTOR);

  // Signed-in browsers (the web page's sessions), with each role.
  for (const [name, organization, role] of [
    ['owner', org, 'owner'],
    ['member', org, 'member'],
    ['foreignOwner', other, 'owner'],
  ] as const) {
    const user = await seed.user(`${name}-session@example.com`, { password: PASSWORD });
    await seed.member(organization, user, role);
    sessions[name] = await signIn(h, user.email, PASSWORD);
  }
  const ended = await seed.user('ended-session@victim.example', { password: PASSWORD });
  await seed.member(org, ended, 'owner');
  sessions.ended = await signIn(h, ended.email, PASSWORD);
  await h.services.users.setPassword(ended, `${PASSWORD} changed`);
  return { h, org, project, key, team };
});

function routes(): RouteCase[] {
  const keys = () => `/api/0/projects/${t.org.slug}/${t.project.slug}/keys/`;
  const detail = () => `${keys()}${t.key.public_key}/`;
  return [
    { name: 'GET keys', method: 'GET', path: keys, scopes: PROJECT_READ, member: 'allowed' },
    { name: 'POST keys', method: 'POST', path: keys, body: () => ({ name: 'x' }), scopes: PROJECT_WRITE, member: 'forbidden' },
    { name: 'GET key', method: 'GET', path: detail, scopes: PROJECT_READ, member: 'allowed' },
    { name: 'PUT key', method: 'PUT', path: detail, body: () => ({ name: 'x' }), scopes: PROJECT_WRITE, member: 'forbidden' },
    { name: 'DELETE key', method: 'DELETE', path: detail, scopes: PROJECT_ADMIN, member: 'forbidden' },
    { name: 'GET org keys', method: 'GET', path: () => `/api/0/organizations/${t.org.slug}/project-keys/`, scopes: ORG_READ, member: 'allowed' },
    { name: 'GET organization', method: 'GET', path: () => `/api/0/organizations/${t.org.slug}/`, scopes: ORG_READ, member: 'allowed' },
    { name: 'GET org projects', method: 'GET', path: () => `/api/0/organizations/${t.org.slug}/projects/`, scopes: ORG_READ, member: 'allowed' },
    { name: 'GET org teams', method: 'GET', path: () => `/api/0/organizations/${t.org.slug}/teams/`, scopes: ORG_READ, member: 'allowed' },
    {
      name: 'POST org teams',
      method: 'POST',
      path: () => `/api/0/organizations/${t.org.slug}/teams/`,
      body: () => ({ slug: `matrix-team-${(created += 1)}` }),
      scopes: TEAM_CREATE,
      member: 'forbidden',
    },
    { name: 'GET team', method: 'GET', path: () => `/api/0/teams/${t.org.slug}/${t.team.slug}/`, scopes: TEAM_READ, member: 'allowed' },
    { name: 'GET team projects', method: 'GET', path: () => `/api/0/teams/${t.org.slug}/${t.team.slug}/projects/`, scopes: PROJECT_READ, member: 'allowed' },
    {
      name: 'POST team projects',
      method: 'POST',
      path: () => `/api/0/teams/${t.org.slug}/${t.team.slug}/projects/`,
      body: () => ({ name: `matrix-${(created += 1)}` }),
      scopes: TEAM_PROJECT_CREATE,
      member: 'forbidden',
    },
    { name: 'GET project', method: 'GET', path: () => `/api/0/projects/${t.org.slug}/${t.project.slug}/`, scopes: PROJECT_READ, member: 'allowed' },
    {
      name: 'PUT project',
      method: 'PUT',
      path: () => `/api/0/projects/${t.org.slug}/${t.project.slug}/`,
      body: () => ({ name: 'x' }),
      scopes: PROJECT_RELAXED_PUT,
      member: 'forbidden',
    },
    { name: 'DELETE project', method: 'DELETE', path: () => `/api/0/projects/${t.org.slug}/${t.project.slug}/`, scopes: PROJECT_ADMIN, member: 'forbidden' },
    { name: 'GET audit log', method: 'GET', path: () => `/api/0/organizations/${t.org.slug}/audit-logs/`, scopes: ['org:write'], member: 'forbidden' },
    { name: 'GET key stats', method: 'GET', path: () => `${detail()}stats/`, scopes: PROJECT_READ, member: 'allowed' },
    { name: 'POST key rotate', method: 'POST', path: () => `${detail()}rotate/`, body: () => ({ overlapSeconds: 3600 }), scopes: PROJECT_WRITE, member: 'forbidden' },
  ];
}

/** Routes that need event:read, which the narrow token of the main matrix holds. */
function eventRoutes(): RouteCase[] {
  return [
    { name: 'GET recent events', method: 'GET', path: () => `/api/0/projects/${t.org.slug}/${t.project.slug}/events/recent/`, scopes: EVENT_READ, member: 'allowed' },
  ];
}

/** `foreignKeyScoped`: whether the other organization's API key (project:admin, org:read) holds the routes' scopes. */
function callers(withoutScope: () => Record<string, string>, foreignKeyScoped = true) {
  const foreignKey = () => basic(tokens.foreignApiKey!);
  return [
    CALLERS.anonymous(),
    CALLERS.malformed(),
    CALLERS.emptyBearer(),
    CALLERS.badBase64(),
    CALLERS.fixed('unknown token', bearer('sntryu_' + '0'.repeat(64)), 401, 'Invalid token'),
    CALLERS.fixed('unknown org token', bearer('sntrys_eyJ9_abc'), 401, 'Invalid org token'),
    CALLERS.fixed('unknown API key', basic('0'.repeat(32)), 401, 'API key is not valid'),
    CALLERS.fixed('expired token', bearer(tokens.expired!), 401, 'Token expired'),
    CALLERS.fixed('disabled API key', basic(tokens.disabledKey!), 401, 'Key is disabled'),
    CALLERS.fixed('revoked token', bearer(tokens.revoked!), 401, 'Invalid token'),
    CALLERS.fixed('expired API key', basic(tokens.expiredKey!), 401, 'API key expired'),
    CALLERS.fixed('revoked org token', bearer(tokens.revokedOrgToken!), 401, 'Invalid org token'),
    CALLERS.withoutScope('token without the scope', withoutScope),
    CALLERS.withoutScope('org auth token (org:ci)', () => bearer(tokens.orgToken!)),
    CALLERS.foreign('owner of another organization', () => bearer(tokens.foreignOwner!)),
    foreignKeyScoped
      ? CALLERS.foreign('API key of another organization', foreignKey)
      : CALLERS.withoutScope('API key of another organization, without event scopes', foreignKey),
    CALLERS.member(() => bearer(tokens.member!)),
    CALLERS.fixed('unknown session cookie', { cookie: `clientkeys_session=${'A'.repeat(43)}` }, 401, 'Authentication credentials were not provided.'),
    CALLERS.fixed('ended session (password changed)', sessions.ended!.headers(true), 401, 'Authentication credentials were not provided.'),
    CALLERS.sessionCsrf('owner session without the CSRF token', () => sessions.owner!.headers(), 'CSRF Failed: CSRF token missing.'),
    CALLERS.sessionCsrf(
      "owner session with another session's CSRF token",
      () => ({ ...sessions.owner!.headers(), 'x-csrftoken': sessions.member!.csrf }),
      'CSRF Failed: CSRF token incorrect.',
    ),
    CALLERS.sessionCsrf(
      'owner session from another origin',
      () => ({ ...sessions.owner!.headers(true), origin: 'https://evil.example' }),
      'CSRF Failed: Origin checking failed - https://evil.example does not match any trusted origins.',
    ),
    CALLERS.foreign('owner session of another organization', () => sessions.foreignOwner!.headers(true)),
    CALLERS.member(() => sessions.member!.headers(true), 'member session'),
  ];
}

describe('security matrix', () => {
  it('answers every route × caller exactly, leaking nothing', async () => {
    const secrets = { values: () => [t.key.public_key, t.key.secret_key, 'victim@', 'web'] };
    await runMatrix(t.h, routes(), callers(() => bearer(tokens.noScope!)), secrets);
    await runMatrix(t.h, eventRoutes(), callers(() => bearer(tokens.projectOnly!), false), secrets);
  });

  it('lets the owner through on every route', async () => {
    // Deleting and rotating change the key for good: the routes after them would not find it as it was.
    const repeatable = (r: RouteCase) => r.method !== 'DELETE' && !r.path().endsWith('/rotate/');
    await runMatrix(t.h, [...routes(), ...eventRoutes()].filter(repeatable), [
      { name: 'owner', headers: () => bearer(tokens.owner!), expect: () => ({ status: 200 }) },
      { name: 'owner session', headers: () => sessions.owner!.headers(true), expect: () => ({ status: 200 }) },
    ], { values: () => [] });
  });

  it('GET /organizations/: credentials as everywhere; any valid one lists (only) its own', async () => {
    const index: RouteCase = { name: 'GET organizations', method: 'GET', path: () => '/api/0/organizations/', scopes: ORG_READ, member: 'allowed' };
    await runMatrix(
      t.h,
      [index],
      [
        CALLERS.anonymous(),
        CALLERS.malformed(),
        CALLERS.fixed('unknown token', bearer('sntryu_' + '0'.repeat(64)), 401, 'Invalid token'),
        CALLERS.fixed('expired token', bearer(tokens.expired!), 401, 'Token expired'),
        CALLERS.withoutScope('token without the scope', () => bearer(tokens.noScope!)),
        CALLERS.withoutScope('org auth token (org:ci)', () => bearer(tokens.orgToken!)),
        CALLERS.member(() => bearer(tokens.member!)),
        CALLERS.member(() => sessions.member!.headers(), 'member session'),
      ],
      { values: () => [] },
    );
    const mine = await request(t.h, 'GET', '/api/0/organizations/', { headers: sessions.foreignOwner!.headers() });
    expect(mine.body.map((o: { slug: string }) => o.slug)).toEqual(['intruder']);
    const theirs = await request(t.h, 'GET', '/api/0/organizations/', { token: tokens.foreignOwner! });
    expect(theirs.status).toBe(200);
    expect(theirs.body.map((o: { slug: string }) => o.slug)).toEqual(['intruder']);
    const viaKey = await request(t.h, 'GET', '/api/0/organizations/', { basic: tokens.foreignApiKey! });
    expect(viaKey.body.map((o: { slug: string }) => o.slug)).toEqual(['intruder']);
  });

  it('answers 401 before 404 and a missing scope before a missing project', async () => {
    await runMatrix(
      t.h,
      [
        { name: 'unknown org', method: 'GET', path: () => '/api/0/projects/nope/nope/keys/', scopes: PROJECT_READ, member: 'allowed' },
        { name: 'unknown project', method: 'GET', path: () => `/api/0/projects/${t.org.slug}/nope/keys/`, scopes: PROJECT_READ, member: 'allowed' },
        { name: 'unknown organization', method: 'GET', path: () => '/api/0/organizations/nope/', scopes: ORG_READ, member: 'allowed' },
        { name: 'unknown project details', method: 'GET', path: () => `/api/0/projects/${t.org.slug}/nope/`, scopes: PROJECT_READ, member: 'allowed' },
        { name: 'unknown team', method: 'GET', path: () => `/api/0/teams/${t.org.slug}/nope/`, scopes: TEAM_READ, member: 'allowed' },
        { name: 'team of unknown org', method: 'GET', path: () => '/api/0/teams/nope/backend/', scopes: TEAM_READ, member: 'allowed' },
      ],
      [
        CALLERS.anonymous(),
        CALLERS.withoutScope('token without the scope', () => bearer(tokens.noScope!)),
        CALLERS.fixed('owner', bearer(tokens.owner!), 404, 'The requested resource does not exist'),
        CALLERS.fixed('owner of another organization', bearer(tokens.foreignOwner!), 404, 'The requested resource does not exist'),
        CALLERS.fixed('owner session', sessions.owner!.headers(), 404, 'The requested resource does not exist'),
      ],
      { values: () => [] },
    );
  });
});
