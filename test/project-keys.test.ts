/**
 * Sentry's own tests for the client-key endpoints (tests/sentry/core/endpoints/test_project_keys.py,
 * test_project_key_details.py), ported, plus the acceptance cases implied by Sentry's code.
 */
import { describe, expect, it } from 'vitest';
import { signIn } from './helpers/browser-session.ts';
import { request, Seed, startHarness, TEST_ACTOR } from './helpers/harness.ts';
import { projectKeyListSchema, projectKeySchema } from '../src/schemas/project-key.ts';
import type { ProjectRow, UserRow } from '../src/storage/schema.ts';
import { suiteFixture } from './helpers/fixture.ts';

const t = suiteFixture(async (onCleanup) => {
  const h = await startHarness();
  onCleanup(() => h.close());
  const seed = new Seed(h.services);
  const org = await seed.org('baz');
  const owner = await seed.caller(org, 'owner@example.com', 'owner');
  const admin: UserRow = await seed.user('root@example.com', { superuser: true, password: 'root password 1' });
  const superuserToken = await seed.token(admin);
  /** A signed-in superuser: Sentry's active superuser is a session, never a token. */
  const superuser = await signIn(h, 'root@example.com', 'root password 1');
  return { h, seed, org, owner, superuserToken, superuser };
});

let projectCount = 0;
async function newProject(): Promise<ProjectRow> {
  projectCount += 1;
  return t.seed.project(t.org, `project-${projectCount}`);
}

const keysPath = (project: ProjectRow) => `/api/0/projects/${t.org.slug}/${project.slug}/keys/`;
const keyPath = (project: ProjectRow, publicKey: string) => `${keysPath(project)}${publicKey}/`;

async function dbKey(publicKey: string) {
  return t.h.db.kysely.selectFrom('project_keys').selectAll().where('public_key', '=', publicKey).executeTakeFirst();
}

async function createInternalKey(project: ProjectRow, useCase: 'profiling' | 'demo') {
  const result = await t.h.services.keys.create(project, { name: 'internal', useCase }, TEST_ACTOR);
  if (!result.ok) throw new Error('create failed');
  return result.key;
}

describe('ListProjectKeysTest', () => {
  it('test_simple: the Default key is listed', async () => {
    const project = await newProject();
    const key = await t.seed.defaultKey(project);
    const res = await request(t.h, 'GET', keysPath(project), { answer: projectKeyListSchema, token: t.owner });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(1);
    expect(res.body[0]?.public).toBe(key.public_key);
    expect(res.body[0]?.name).toBe('Default');
  });

  it('test_playstation_dsn, test_integration_endpoint, test_otlp_*: every DSN URL', async () => {
    const project = await newProject();
    const key = await t.seed.defaultKey(project);
    const res = await request(t.h, 'GET', keysPath(project), { answer: projectKeyListSchema, token: t.owner });
    const { public_key: pk, secret_key: sk } = key;
    const pid = project.id;
    expect(res.body[0]?.dsn).toEqual({
      secret: `http://${pk}:${sk}@testserver/${pid}`,
      public: `http://${pk}@testserver/${pid}`,
      csp: `http://testserver/api/${pid}/csp-report/?sentry_key=${pk}`,
      security: `http://testserver/api/${pid}/security/?sentry_key=${pk}`,
      minidump: `http://testserver/api/${pid}/minidump/?sentry_key=${pk}`,
      nel: `http://testserver/api/${pid}/nel/?sentry_key=${pk}`,
      unreal: `http://testserver/api/${pid}/unreal/${pk}/`,
      crons: `http://testserver/api/${pid}/cron/___MONITOR_SLUG___/${pk}/`,
      cdn: `http://testserver/js-sdk-loader/${pk}.min.js`,
      playstation: `http://testserver/api/${pid}/playstation/?sentry_key=${pk}`,
      integration: `http://testserver/api/${pid}/integration/`,
      otlp_traces: `http://testserver/api/${pid}/integration/otlp/v1/traces`,
      otlp_logs: `http://testserver/api/${pid}/integration/otlp/v1/logs`,
    });
    expect(Object.keys(res.body[0]?.dsn ?? {})).toHaveLength(13);
  });

  it('test_use_case: a non-superuser sees only user keys, without useCase', async () => {
    const project = await newProject();
    const key = await t.seed.defaultKey(project);
    await createInternalKey(project, 'profiling');
    const res = await request(t.h, 'GET', keysPath(project), { answer: projectKeyListSchema, token: t.owner });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(1);
    expect(res.body[0]).not.toHaveProperty('useCase');
    expect(res.body[0]?.public).toBe(key.public_key);
  });

  it('test_use_case_superuser: a superuser sees every key, with useCase', async () => {
    const project = await newProject();
    await createInternalKey(project, 'profiling');
    const res = await request(t.h, 'GET', keysPath(project), { answer: projectKeyListSchema, headers: t.superuser.headers(true) });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(2);
    const sorted = [...res.body].sort((a, b) => (a.useCase ?? '').localeCompare(b.useCase ?? ''));
    expect(sorted[0]?.useCase).toBe('profiling');
    expect(sorted[1]?.useCase).toBe('user');
  });

  it("a superuser's token is an ordinary token: no internal keys, no useCase, no other organizations", async () => {
    const other = await t.seed.org('su-elsewhere');
    const project = await t.seed.project(other, 'app');
    const internal = await createInternalKey(project, 'profiling');
    const path = `/api/0/projects/${other.slug}/${project.slug}/keys/`;
    // Not a member of this organization: with a token the superuser is a stranger.
    expect((await request(t.h, 'GET', path, { token: t.superuserToken })).status).toBe(403);
    expect((await request(t.h, 'GET', path, { headers: t.superuser.headers() })).status).toBe(200);
    const root = await t.h.db.stores.users.byEmail('root@example.com');
    await t.seed.member(other, root!, 'owner');
    const res = await request(t.h, 'GET', path, { token: t.superuserToken });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(1);
    expect(res.body[0]).not.toHaveProperty('useCase');
    expect((await request(t.h, 'GET', `${path}${internal.public_key}/`, { token: t.superuserToken })).status).toBe(404);
    const created = await request(t.h, 'POST', path, { token: t.superuserToken, body: { useCase: 'demo' } });
    expect(created.status).toBe(201);
    expect(created.body).not.toHaveProperty('useCase');
    expect((await dbKey(created.body.public))?.use_case).toBe('user');
  });

  it('lists newest first and filters by status (a bogus status lists nothing)', async () => {
    const project = await newProject();
    const created = await request(t.h, 'POST', keysPath(project), { answer: projectKeySchema, token: t.owner, body: { name: 'second' } });
    await request(t.h, 'PUT', keyPath(project, created.body.id), { answer: projectKeySchema, token: t.owner, body: { isActive: false } });
    const all = await request(t.h, 'GET', keysPath(project), { answer: projectKeyListSchema, token: t.owner });
    expect(all.body.map((k: any) => k.name)).toEqual(['second', 'Default']);
    const active = await request(t.h, 'GET', `${keysPath(project)}?status=active`, { token: t.owner });
    expect(active.body.map((k: any) => k.name)).toEqual(['Default']);
    const inactive = await request(t.h, 'GET', `${keysPath(project)}?status=inactive`, { token: t.owner });
    expect(inactive.body.map((k: any) => k.name)).toEqual(['second']);
    const bogus = await request(t.h, 'GET', `${keysPath(project)}?status=bogus`, { token: t.owner });
    expect(bogus.status).toBe(200);
    expect(bogus.body).toEqual([]);
    const empty = await request(t.h, 'GET', `${keysPath(project)}?status=`, { token: t.owner });
    expect(empty.body).toHaveLength(2);
  });

  it('paginates 10 per page by default, follows the Link header, and rejects bad paging input', async () => {
    const project = await newProject();
    for (let i = 0; i < 12; i++) await request(t.h, 'POST', keysPath(project), { answer: projectKeySchema, token: t.owner, body: { name: `k${i}` } });
    const first = await request(t.h, 'GET', keysPath(project), { answer: projectKeyListSchema, token: t.owner });
    expect(first.body).toHaveLength(10);
    const link = first.headers.get('link')!;
    expect(link).toMatch(/rel="previous"; results="false"/);
    const next = /<([^>]+)>; rel="next"; results="true"; cursor="([^"]+)"/.exec(link)!;
    expect(next[1]).toBe(`http://testserver${keysPath(project)}?&cursor=${next[2]}`);
    const second = await request(t.h, 'GET', next[1]!.replace('http://testserver', ''), { token: t.owner });
    expect(second.body).toHaveLength(3);
    const names = [...first.body, ...second.body].map((k: any) => k.name);
    expect(new Set(names).size).toBe(13);
    expect(second.headers.get('link')).toMatch(/rel="next"; results="false"/);

    const withPerPage = await request(t.h, 'GET', `${keysPath(project)}?per_page=5`, { token: t.owner });
    expect(withPerPage.body).toHaveLength(5);
    expect(withPerPage.headers.get('link')).toContain(`${keysPath(project)}?per_page=5&cursor=`);

    expect((await request(t.h, 'GET', `${keysPath(project)}?per_page=101`, { token: t.owner })).body).toEqual({
      detail: 'Invalid per_page value. Must be between 1 and 100.',
    });
    expect((await request(t.h, 'GET', `${keysPath(project)}?per_page=abc`, { token: t.owner })).body).toEqual({
      detail: 'Invalid per_page parameter.',
    });
    const badCursor = await request(t.h, 'GET', `${keysPath(project)}?cursor=1:2`, { token: t.owner });
    expect(badCursor.status).toBe(400);
    expect(badCursor.body).toEqual({ detail: 'Invalid cursor parameter.' });
  });
});

describe('CreateProjectKeyTest', () => {
  it('test_simple: name and rate limit are stored, with the default loader options', async () => {
    const project = await newProject();
    const res = await request(t.h, 'POST', keysPath(project), { answer: projectKeySchema, token: t.owner, body: { name: 'hello world', rateLimit: { count: 10, window: 60 } } });
    expect(res.status).toBe(201);
    const row = await dbKey(res.body.public);
    expect(row?.label).toBe('hello world');
    expect(row?.rate_limit_count).toBe(10);
    expect(row?.rate_limit_window).toBe(60);
    expect(JSON.parse(row!.data).dynamicSdkLoaderOptions).toEqual({ hasPerformance: true, hasReplay: true });
    expect(res.body.rateLimit).toEqual({ window: 60, count: 10 });
  });

  it('test_minimal_args: no body gives a key with a generated two-word name', async () => {
    const project = await newProject();
    const res = await request(t.h, 'POST', keysPath(project), { answer: projectKeySchema, token: t.owner });
    expect(res.status).toBe(201);
    const row = await dbKey(res.body.public);
    expect(row?.label).toMatch(/^[A-Z][a-z]{0,9} [A-Z][a-z]{0,9}$/);
    expect(JSON.parse(row!.data).dynamicSdkLoaderOptions).toEqual({ hasPerformance: true, hasReplay: true });
    for (const name of ['', null, '   ']) {
      const blank = await request(t.h, 'POST', keysPath(project), { answer: projectKeySchema, token: t.owner, body: { name } });
      expect(blank.status).toBe(201);
      expect(blank.body.name).toMatch(/^[A-Z][a-z]* [A-Z][a-z]*$/);
    }
  });

  it('test_keys: public and secret may be given', async () => {
    const project = await newProject();
    const res = await request(t.h, 'POST', keysPath(project), { answer: projectKeySchema, token: t.owner, body: { public: 'a'.repeat(32), secret: 'b'.repeat(32) } });
    expect(res.status).toBe(201);
    expect(res.body.public).toBe('a'.repeat(32));
    expect(res.body.secret).toBe('b'.repeat(32));
    const row = await dbKey('a'.repeat(32));
    expect(row?.secret_key).toBe('b'.repeat(32));
  });

  it('a chosen key already in use is one 400 that says nothing of where: this organization, another, public or secret', async () => {
    const project = await newProject();
    const elsewhere = new Seed(t.h.services);
    const otherProject = await elsewhere.project(await elsewhere.org('other-tenant'), 'theirs');
    const theirs = await t.h.services.keys.create(otherProject, { public: '7'.repeat(32), secret: '8'.repeat(32), useCase: 'user' }, TEST_ACTOR);
    expect(theirs.ok).toBe(true);
    const before = await request(t.h, 'GET', keysPath(project), { answer: projectKeyListSchema, token: t.owner });
    const refusal = { public: ['This key is already in use: choose another public and secret key, or leave them out to have them generated.'] };
    const attempts = [
      { public: 'a'.repeat(32) }, // a key of this organization
      { public: '7'.repeat(32) }, // another organization's key
      { public: '9'.repeat(32), secret: '8'.repeat(32) }, // a fresh public key with another organization's secret
      { public: 'a'.repeat(32), secret: '8'.repeat(32) },
    ];
    for (const body of attempts) {
      const res = await request(t.h, 'POST', keysPath(project), { answer: projectKeySchema, token: t.owner, body });
      expect({ body, status: res.status, answer: res.body }).toEqual({ body, status: 400, answer: refusal });
    }
    const secretOnly = await request(t.h, 'POST', keysPath(project), { answer: projectKeySchema, token: t.owner, body: { secret: '8'.repeat(32) } });
    expect(secretOnly.body).toEqual({ secret: refusal.public });
    const after = await request(t.h, 'GET', keysPath(project), { answer: projectKeyListSchema, token: t.owner });
    expect(after.body).toEqual(before.body);
  });

  it('test_cannot_create_internal: a non-superuser gets a user key', async () => {
    const project = await newProject();
    const res = await request(t.h, 'POST', keysPath(project), { answer: projectKeySchema, 
      token: t.owner,
      body: { useCase: 'profiling', public: 'c'.repeat(32), secret: 'd'.repeat(32) },
    });
    expect(res.status).toBe(201);
    expect((await dbKey('c'.repeat(32)))?.use_case).toBe('user');
  });

  it('test_superuser_can_create_internal', async () => {
    const project = await newProject();
    const res = await request(t.h, 'POST', keysPath(project), { answer: projectKeySchema, headers: t.superuser.headers(true), body: { useCase: 'demo', public: 'e'.repeat(32), secret: '5'.repeat(32) } });
    expect(res.status).toBe(201);
    expect(res.body.useCase).toBe('demo');
    expect((await dbKey('e'.repeat(32)))?.use_case).toBe('demo');
  });

  it('stores a rate limit only when count and window are both non-zero', async () => {
    const project = await newProject();
    for (const rateLimit of [{ count: 0, window: 60 }, { count: 10, window: 0 }, {}, { count: 10 }, { count: '', window: 60 }]) {
      const res = await request(t.h, 'POST', keysPath(project), { answer: projectKeySchema, token: t.owner, body: { rateLimit } });
      expect(res.status).toBe(201);
      expect(res.body.rateLimit).toBeNull();
      const row = await dbKey(res.body.public);
      expect([row?.rate_limit_count, row?.rate_limit_window]).toEqual([null, null]);
    }
    const strings = await request(t.h, 'POST', keysPath(project), { answer: projectKeySchema, token: t.owner, body: { rateLimit: { count: '5', window: '60.0' } } });
    expect(strings.body.rateLimit).toEqual({ window: 60, count: 5 });
  });

  it('answers bad input with DRF messages', async () => {
    const project = await newProject();
    const cases: [unknown, unknown][] = [
      [{ name: 'x'.repeat(65) }, { name: ['Ensure this field has no more than 64 characters.'] }],
      [{ public: 'nothex' }, { public: ['This value does not match the required pattern.'] }],
      [{ secret: 'A'.repeat(32) }, { secret: ['This value does not match the required pattern.'] }],
      [{ rateLimit: { count: 1, window: 86401 } }, { rateLimit: { window: ['Ensure this value is less than or equal to 86400.'] } }],
      [{ rateLimit: { count: -1, window: 60 } }, { rateLimit: { count: ['Ensure this value is greater than or equal to 0.'] } }],
      [{ rateLimit: { count: 'ten', window: 60 } }, { rateLimit: { count: ['A valid integer is required.'] } }],
      [{ rateLimit: { count: 1.5, window: 60 } }, { rateLimit: { count: ['A valid integer is required.'] } }],
      [{ rateLimit: { count: true, window: 60 } }, { rateLimit: { count: ['A valid integer is required.'] } }],
      [{ rateLimit: { count: 1e12, window: 60 } }, { rateLimit: { count: ['Ensure this value is less than or equal to 2147483647.'] } }],
      [{ rateLimit: 'often' }, { rateLimit: { non_field_errors: ['Invalid data. Expected a dictionary, but got str.'] } }],
      [{ rateLimit: [1] }, { rateLimit: { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] } }],
      [{ rateLimit: null }, { rateLimit: ['This field may not be null.'] }],
      [{ name: { a: 1 } }, { name: ['Not a valid string.'] }],
      [{ name: true }, { name: ['Not a valid string.'] }],
      [{ name: 'a\u0000b' }, { name: ['Null characters are not allowed.'] }],
      [{ useCase: 'nope' }, { useCase: ['"nope" is not a valid choice.'] }],
      [[1, 2], { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] }],
      ['text', { non_field_errors: ['Invalid data. Expected a dictionary, but got str.'] }],
    ];
    const before = (await request(t.h, 'GET', keysPath(project), { answer: projectKeyListSchema, token: t.owner })).body.length;
    for (const [body, expected] of cases) {
      const res = await request(t.h, 'POST', keysPath(project), { answer: projectKeySchema, token: t.owner, body });
      expect({ body, status: res.status, response: res.body }).toEqual({ body, status: 400, response: expected });
    }
    expect((await request(t.h, 'GET', keysPath(project), { answer: projectKeyListSchema, token: t.owner })).body).toHaveLength(before);
  });

  it('accepts a name of 64 characters, counting characters not bytes', async () => {
    const project = await newProject();
    const name = 'é'.repeat(64);
    const res = await request(t.h, 'POST', keysPath(project), { answer: projectKeySchema, token: t.owner, body: { name } });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe(name);
  });

  it('reads HTML form bodies as DRF does', async () => {
    const project = await newProject();
    const res = await request(t.h, 'POST', keysPath(project), { answer: projectKeySchema, 
      token: t.owner,
      rawBody: 'name=From+a+form',
     headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe('From a form');
  });
});

describe('UpdateProjectKeyTest', () => {
  async function keyWith(project: ProjectRow, limit?: { count: number; window: number }) {
    const res = await request(t.h, 'POST', keysPath(project), { answer: projectKeySchema, token: t.owner, body: { name: 'k', ...(limit ? { rateLimit: limit } : {}) } });
    return res.body.public as string;
  }

  it('test_simple: rename', async () => {
    const project = await newProject();
    const pk = await keyWith(project);
    const res = await request(t.h, 'PUT', keyPath(project, pk), { answer: projectKeySchema, token: t.owner, body: { name: 'hello world' } });
    expect(res.status).toBe(200);
    expect((await dbKey(pk))?.label).toBe('hello world');
    expect(res.body.name).toBe('hello world');
  });

  it('test_no_rate_limit / test_unset_rate_limit / test_remove_rate_limit / test_simple_rate_limit', async () => {
    const project = await newProject();
    const limited = await keyWith(project, { count: 1, window: 60 });
    expect((await request(t.h, 'PUT', keyPath(project, limited), { answer: projectKeySchema, token: t.owner })).status).toBe(200);
    expect(await dbKey(limited)).toMatchObject({ rate_limit_count: 1, rate_limit_window: 60 });
    expect((await request(t.h, 'PUT', keyPath(project, limited), { answer: projectKeySchema, token: t.owner, body: { rateLimit: {} } })).status).toBe(200);
    expect(await dbKey(limited)).toMatchObject({ rate_limit_count: 1, rate_limit_window: 60 });
    expect((await request(t.h, 'PUT', keyPath(project, limited), { answer: projectKeySchema, token: t.owner, body: { rateLimit: null } })).status).toBe(200);
    expect(await dbKey(limited)).toMatchObject({ rate_limit_count: null, rate_limit_window: null });

    const other = await keyWith(project, { count: 1, window: 60 });
    expect((await request(t.h, 'PUT', keyPath(project, other), { answer: projectKeySchema, token: t.owner, body: { rateLimit: { count: '', window: 300 } } })).status).toBe(200);
    expect(await dbKey(other)).toMatchObject({ rate_limit_count: null, rate_limit_window: null });

    const plain = await keyWith(project);
    const set = await request(t.h, 'PUT', keyPath(project, plain), { answer: projectKeySchema, token: t.owner, body: { rateLimit: { count: 1, window: 60 } } });
    expect(set.status).toBe(200);
    expect(set.body.rateLimit).toEqual({ window: 60, count: 1 });
    expect(await dbKey(plain)).toMatchObject({ rate_limit_count: 1, rate_limit_window: 60 });
  });

  it('test_rate_limit_change_data: the audit entry records the previous limit', async () => {
    const project = await newProject();
    const pk = await keyWith(project);
    await request(t.h, 'PUT', keyPath(project, pk), { answer: projectKeySchema, token: t.owner, body: { rateLimit: { count: 1, window: 60 } } });
    const entries = await t.h.db.stores.auditLog.list(t.org.id);
    const edit = entries.find((e) => e.event === 'projectkey.edit' && JSON.parse(e.data).public_key === pk)!;
    expect(JSON.parse(edit.data)).toMatchObject({
      prev_rate_limit_count: null,
      prev_rate_limit_window: null,
      rate_limit_count: 1,
      rate_limit_window: 60,
    });
    expect(edit.data).not.toContain((await dbKey(pk))!.secret_key);
    expect(edit.actor_label).toBe('owner@example.com');
  });

  it('test_deactivate and re-activate', async () => {
    const project = await newProject();
    const pk = await keyWith(project);
    const res = await request(t.h, 'PUT', keyPath(project, pk), { answer: projectKeySchema, token: t.owner, body: { isActive: false, name: 'hello world' } });
    expect(res.status).toBe(200);
    expect(await dbKey(pk)).toMatchObject({ label: 'hello world', status: 1 });
    expect(res.body.isActive).toBe(false);
    const back = await request(t.h, 'PUT', keyPath(project, pk), { answer: projectKeySchema, token: t.owner, body: { isActive: 'true' } });
    expect(back.body.isActive).toBe(true);
    const bad = await request(t.h, 'PUT', keyPath(project, pk), { answer: projectKeySchema, token: t.owner, body: { isActive: 'maybe' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ isActive: ['Must be a valid boolean.'] });
  });

  it('test_default_browser_sdk_version / test_set_browser_sdk_version', async () => {
    const project = await newProject();
    const pk = await keyWith(project);
    await request(t.h, 'PUT', keyPath(project, pk), { answer: projectKeySchema, token: t.owner, body: {} });
    expect(JSON.parse((await dbKey(pk))!.data).browserSdkVersion).toBe('10.x');
    const set = await request(t.h, 'PUT', keyPath(project, pk), { answer: projectKeySchema, token: t.owner, body: { browserSdkVersion: '5.x' } });
    expect(set.body.browserSdkVersion).toBe('5.x');
    expect(JSON.parse((await dbKey(pk))!.data).browserSdkVersion).toBe('5.x');
    const bad = await request(t.h, 'PUT', keyPath(project, pk), { answer: projectKeySchema, token: t.owner, body: { browserSdkVersion: '3.x' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ browserSdkVersion: ['"3.x" is not a valid choice.'] });
  });

  it('test_default_dynamic_sdk_loader_options and test_dynamic_sdk_loader_options', async () => {
    const project = await newProject();
    const key = await t.seed.defaultKey(project);
    const path = keyPath(project, key.public_key);
    const options = async () => JSON.parse((await dbKey(key.public_key))!.data).dynamicSdkLoaderOptions;

    expect((await request(t.h, 'PUT', path, { token: t.owner, body: {} })).status).toBe(200);
    expect(await options()).toEqual({ hasPerformance: true, hasReplay: true });

    expect((await request(t.h, 'PUT', path, { token: t.owner, body: { dynamicSdkLoaderOptions: {} } })).status).toBe(200);
    expect(await options()).toEqual({ hasPerformance: true, hasReplay: true });

    await request(t.h, 'PUT', path, { token: t.owner, body: { dynamicSdkLoaderOptions: { hasReplay: false, hasDebug: true } } });
    expect(await options()).toEqual({ hasReplay: false, hasPerformance: true, hasDebug: true });

    await request(t.h, 'PUT', path, { token: t.owner, body: { dynamicSdkLoaderOptions: { hasReplay: false, hasPerformance: true } } });
    expect(await options()).toEqual({ hasReplay: false, hasPerformance: true, hasDebug: true });

    const dropped = await request(t.h, 'PUT', path, { token: t.owner, body: { dynamicSdkLoaderOptions: { hasDebug: false, 'invalid-key': 'blah' } } });
    expect(dropped.status).toBe(200);
    expect(await options()).toEqual({ hasReplay: false, hasPerformance: true, hasDebug: false });

    const invalid = await request(t.h, 'PUT', path, { token: t.owner, body: { dynamicSdkLoaderOptions: { hasReplay: 'invalid' } } });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toEqual({ dynamicSdkLoaderOptions: { hasReplay: ['Must be a valid boolean.'] } });
    expect(await options()).toEqual({ hasReplay: false, hasPerformance: true, hasDebug: false });

    expect((await request(t.h, 'PUT', path, { token: t.owner, body: { dynamicSdkLoaderOptions: { 'invalid-key': 'blah' } } })).status).toBe(200);
    expect(await options()).toEqual({ hasReplay: false, hasPerformance: true, hasDebug: false });

    const all = await request(t.h, 'GET', path, { token: t.owner });
    expect(all.body.dynamicSdkLoaderOptions).toEqual({ hasReplay: false, hasPerformance: true, hasDebug: false, hasFeedback: false, hasLogsAndMetrics: false });
  });

  it('test_use_case: an internal key is a 404 for a non-superuser, editable by a superuser', async () => {
    const project = await newProject();
    const internal = await createInternalKey(project, 'profiling');
    const path = keyPath(project, internal.public_key);
    expect((await request(t.h, 'PUT', path, { token: t.owner, body: { name: 'x' } })).status).toBe(404);
    expect((await request(t.h, 'GET', path, { token: t.owner })).status).toBe(404);
    expect((await request(t.h, 'PUT', path, { headers: t.superuser.headers(true), body: { name: 'x' } })).status).toBe(200);
  });

  it('test_cannot_upgrade_to_internal', async () => {
    const project = await newProject();
    const pk = await keyWith(project);
    const res = await request(t.h, 'PUT', keyPath(project, pk), { answer: projectKeySchema, token: t.owner, body: { useCase: 'profiling', name: 'updated' } });
    expect(res.status).toBe(200);
    expect(await dbKey(pk)).toMatchObject({ label: 'updated', use_case: 'user' });
  });

  it('an unknown key is a 404 before its body is read', async () => {
    const project = await newProject();
    const res = await request(t.h, 'PUT', keyPath(project, 'f'.repeat(32)), { token: t.owner, rawBody: '{not json', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ detail: 'The requested resource does not exist' });
  });
});

describe('DeleteProjectKeyTest', () => {
  it('test_simple: 204 and the row is gone, audited', async () => {
    const project = await newProject();
    const key = await t.seed.defaultKey(project);
    const res = await request(t.h, 'DELETE', keyPath(project, key.public_key), { token: t.owner });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(await dbKey(key.public_key)).toBeUndefined();
    const entries = await t.h.db.stores.auditLog.list(t.org.id);
    expect(entries.some((e) => e.event === 'projectkey.remove' && e.target_object === key.id)).toBe(true);
    expect((await request(t.h, 'DELETE', keyPath(project, key.public_key), { token: t.owner })).status).toBe(404);
  });

  it('test_use_case: a non-superuser cannot delete an internal key; a superuser can', async () => {
    const project = await newProject();
    const internal = await createInternalKey(project, 'profiling');
    expect((await request(t.h, 'DELETE', keyPath(project, internal.public_key), { token: t.owner })).status).toBe(404);
    expect((await request(t.h, 'DELETE', keyPath(project, internal.public_key), { headers: t.superuser.headers(true) })).status).toBe(204);
  });
});

describe('retrieve', () => {
  it('finds a key by public key in its project only', async () => {
    const one = await newProject();
    const two = await newProject();
    const key = await t.seed.defaultKey(one);
    expect((await request(t.h, 'GET', keyPath(one, key.public_key), { answer: projectKeySchema, token: t.owner })).body.id).toBe(key.public_key);
    expect((await request(t.h, 'GET', keyPath(two, key.public_key), { answer: projectKeySchema, token: t.owner })).status).toBe(404);
  });

  it('accepts numeric ids for the organization and the project', async () => {
    const project = await newProject();
    const res = await request(t.h, 'GET', `/api/0/projects/${t.org.id}/${project.id}/keys/`, { token: t.owner });
    expect(res.status).toBe(200);
    expect(res.body[0]?.projectId).toBe(project.id);
  });
});

describe('member role', () => {
  it('reads but cannot create, update or delete', async () => {
    const project = await newProject();
    const member = await t.seed.caller(t.org, `member-${project.id}@example.com`, 'member');
    const key = await t.seed.defaultKey(project);
    expect((await request(t.h, 'GET', keysPath(project), { answer: projectKeyListSchema, token: member })).status).toBe(200);
    expect((await request(t.h, 'POST', keysPath(project), { answer: projectKeySchema, token: member, body: {} })).status).toBe(403);
    expect((await request(t.h, 'PUT', keyPath(project, key.public_key), { answer: projectKeySchema, token: member, body: { name: 'x' } })).status).toBe(403);
    const del = await request(t.h, 'DELETE', keyPath(project, key.public_key), { token: member });
    expect(del.status).toBe(403);
    expect(del.body).toEqual({ detail: 'You do not have permission to perform this action.' });
    expect(await dbKey(key.public_key)).toBeDefined();
  });
});

describe('change notifications', () => {
  it('publishes each created, changed and deleted key after it is committed', async () => {
    const events: unknown[] = [];
    const unsubscribe = t.h.services.changes.subscribe((event) => events.push(event));
    try {
      const project = await newProject();
      const defaultKey = await t.seed.defaultKey(project);
      const created = await request(t.h, 'POST', keysPath(project), { answer: projectKeySchema, token: t.owner, body: { name: 'watched' } });
      await request(t.h, 'PUT', keyPath(project, created.body.id), { answer: projectKeySchema, token: t.owner, body: { isActive: false } });
      await request(t.h, 'DELETE', keyPath(project, created.body.id), { token: t.owner });
      await request(t.h, 'POST', keysPath(project), { answer: projectKeySchema, token: t.owner, body: { public: created.body.id.replace(/./, 'x') } });
      expect(events).toEqual([
        { type: 'keys', publicKeys: [defaultKey.public_key] },
        { type: 'keys', publicKeys: [created.body.id] },
        { type: 'keys', publicKeys: [created.body.id] },
        { type: 'keys', publicKeys: [created.body.id] },
      ]);
    } finally {
      unsubscribe();
    }
  });
});
