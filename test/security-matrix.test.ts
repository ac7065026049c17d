/**
 * Every route × every kind of caller, with Sentry's exact answers; nothing of the victim
 * organization leaks to anyone who may not see it.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { ProjectKeyRow, ProjectRow, OrganizationRow } from '../src/storage/schema.ts';
import { Seed, startHarness, type Harness } from './helpers/harness.ts';
import { basic, bearer, CALLERS, runMatrix, type RouteCase } from './helpers/security-matrix.ts';

let h: Harness;
let org: OrganizationRow;
let project: ProjectRow;
let key: ProjectKeyRow;
const tokens: Record<string, string> = {};

const PROJECT_READ = ['project:read', 'project:write', 'project:admin'] as const;
const PROJECT_WRITE = ['project:write', 'project:admin'] as const;
const PROJECT_ADMIN = ['project:admin'] as const;
const ORG_READ = ['org:read', 'org:write', 'org:admin'] as const;
const EVENT_READ = ['event:read', 'event:write', 'event:admin'] as const;

beforeAll(async () => {
  h = await startHarness();
  const seed = new Seed(h.services);
  org = await seed.org('victim');
  project = await seed.project(org, 'web');
  key = await seed.defaultKey(project);
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
  tokens.foreignApiKey = await seed.apiKey(other, ['project:admin', 'org:read']);
  tokens.orgToken = await seed.orgToken(org);
  tokens.disabledKey = await seed.apiKey(org, ['project:admin', 'org:read']);
  const disabled = await h.services.db.kysely.selectFrom('api_keys').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow();
  await h.services.db.stores.credentials.setApiKeyStatus(disabled.id, 1);
});
afterAll(() => h.close());

function routes(): RouteCase[] {
  const keys = () => `/api/0/projects/${org.slug}/${project.slug}/keys/`;
  const detail = () => `${keys()}${key.public_key}/`;
  return [
    { name: 'GET keys', method: 'GET', path: keys, scopes: PROJECT_READ, member: 'allowed' },
    { name: 'POST keys', method: 'POST', path: keys, body: () => ({ name: 'x' }), scopes: PROJECT_WRITE, member: 'forbidden' },
    { name: 'GET key', method: 'GET', path: detail, scopes: PROJECT_READ, member: 'allowed' },
    { name: 'PUT key', method: 'PUT', path: detail, body: () => ({ name: 'x' }), scopes: PROJECT_WRITE, member: 'forbidden' },
    { name: 'DELETE key', method: 'DELETE', path: detail, scopes: PROJECT_ADMIN, member: 'forbidden' },
    { name: 'GET org keys', method: 'GET', path: () => `/api/0/organizations/${org.slug}/project-keys/`, scopes: ORG_READ, member: 'allowed' },
    { name: 'GET key stats', method: 'GET', path: () => `${detail()}stats/`, scopes: PROJECT_READ, member: 'allowed' },
  ];
}

/** Routes that need event:read, which the narrow token of the main matrix holds. */
function eventRoutes(): RouteCase[] {
  return [
    { name: 'GET recent events', method: 'GET', path: () => `/api/0/projects/${org.slug}/${project.slug}/events/recent/`, scopes: EVENT_READ, member: 'allowed' },
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
    CALLERS.withoutScope('token without the scope', withoutScope),
    CALLERS.withoutScope('org auth token (org:ci)', () => bearer(tokens.orgToken!)),
    CALLERS.foreign('owner of another organization', () => bearer(tokens.foreignOwner!)),
    foreignKeyScoped
      ? CALLERS.foreign('API key of another organization', foreignKey)
      : CALLERS.withoutScope('API key of another organization, without event scopes', foreignKey),
    CALLERS.member(() => bearer(tokens.member!)),
  ];
}

describe('security matrix', () => {
  it('answers every route × caller exactly, leaking nothing', async () => {
    const secrets = { values: () => [key.public_key, key.secret_key, 'victim@', 'web'] };
    await runMatrix(h, routes(), callers(() => bearer(tokens.noScope!)), secrets);
    await runMatrix(h, eventRoutes(), callers(() => bearer(tokens.projectOnly!), false), secrets);
  });

  it('lets the owner through on every route', async () => {
    await runMatrix(h, [...routes(), ...eventRoutes()].filter((r) => r.method !== 'DELETE'), [
      { name: 'owner', headers: () => bearer(tokens.owner!), expect: () => ({ status: 200 }) },
    ], { values: () => [] });
  });

  it('answers 401 before 404 and a missing scope before a missing project', async () => {
    await runMatrix(
      h,
      [
        { name: 'unknown org', method: 'GET', path: () => '/api/0/projects/nope/nope/keys/', scopes: PROJECT_READ, member: 'allowed' },
        { name: 'unknown project', method: 'GET', path: () => `/api/0/projects/${org.slug}/nope/keys/`, scopes: PROJECT_READ, member: 'allowed' },
      ],
      [
        CALLERS.anonymous(),
        CALLERS.withoutScope('token without the scope', () => bearer(tokens.noScope!)),
        CALLERS.fixed('owner', bearer(tokens.owner!), 404, 'The requested resource does not exist'),
        CALLERS.fixed('owner of another organization', bearer(tokens.foreignOwner!), 404, 'The requested resource does not exist'),
      ],
      { values: () => [] },
    );
  });
});
