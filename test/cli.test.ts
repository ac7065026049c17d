/**
 * The operator CLI, run as a process (`bin/clientkeys`), against the same database as a running
 * server: what it sets up works over the API, and what it prints agrees with the API.
 */
import { describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.ts';
import { request, startHarness } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

const t = suiteFixture(async (onCleanup) => {
  const h = await startHarness();
  onCleanup(() => h.close());
  const env = { DATABASE_URL: h.databaseUrl, PUBLIC_URL: h.config.publicUrl };
  return { h, env };
});

const ok = (args: string[]) => {
  const result = cli(args, t.env);
  expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: '' });
  return result;
};

const fails = (args: string[], message: RegExp) => {
  const result = cli(args, t.env);
  expect(result.code, args.join(' ')).not.toBe(0);
  expect(result.stderr.trim().split('\n')[0], args.join(' ')).toMatch(message);
  return result;
};

describe('setting up an organization from the CLI', () => {
  let token: string;
  let apiKey: string;

  it('creates an organization, a team, a project with its Default key, a user and a member', () => {
    ok(['org', 'create', 'acme', '--name', 'Acme Inc']);
    ok(['team', 'create', 'acme/backend']);
    const project = ok(['project', 'create', 'acme/web', '--team', 'backend', '--platform', 'node', '--name', 'Web']);
    expect(project.stdout).toMatch(/created project acme\/web/);
    expect(project.stdout).toMatch(/DSN: http:\/\/[0-9a-f]{32}@testserver\/\d+/);
    ok(['user', 'create', 'ann@example.com', '--password', 'correct horse']);
    ok(['member', 'add', 'acme', 'ann@example.com', '--role', 'owner', '--team', 'backend']);
  });

  it('prints a token alone on the last line, and the token works', async () => {
    const result = ok(['token', 'create', 'ann@example.com', '--scopes', 'project:admin,org:read']);
    token = result.lines.at(-1)!;
    expect(token).toMatch(/^sntryu_[0-9a-f]{64}$/);
    expect(result.lines.slice(0, -1).join('\n')).not.toContain(token);
    const res = await request(t.h, 'GET', '/api/0/projects/acme/web/keys/', { token });
    expect(res.status).toBe(200);
    expect(res.body[0].name).toBe('Default');
  });

  it('prints an API key alone on the last line, usable with HTTP Basic', async () => {
    const result = ok(['apikey', 'create', 'acme', '--scopes', 'project:read']);
    apiKey = result.lines.at(-1)!;
    expect(apiKey).toMatch(/^[0-9a-f]{32}$/);
    expect((await request(t.h, 'GET', '/api/0/projects/acme/web/keys/', { basic: apiKey })).status).toBe(200);
    expect((await request(t.h, 'POST', '/api/0/projects/acme/web/keys/', { basic: apiKey, body: {} })).status).toBe(403);
  });

  it('stores credentials only as hashes', async () => {
    const tokens = await t.h.db.kysely.selectFrom('api_tokens').selectAll().execute();
    const keys = await t.h.db.kysely.selectFrom('api_keys').selectAll().execute();
    const stored = JSON.stringify([tokens, keys]);
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(apiKey);
  });

  it('prints an organization auth token (sntrys_) on the last line', async () => {
    const result = ok(['orgtoken', 'create', 'acme', '--scopes', 'org:read']);
    const orgToken = result.lines.at(-1)!;
    expect(orgToken).toMatch(/^sntrys_[A-Za-z0-9+/=]+_[A-Za-z0-9+/]{43}$/);
    const payload = JSON.parse(Buffer.from(orgToken.split('_')[1]!, 'base64').toString('utf8'));
    expect(payload).toMatchObject({ org: 'acme', url: 'http://testserver' });
    expect((await request(t.h, 'GET', '/api/0/organizations/acme/project-keys/', { token: orgToken })).status).toBe(200);
  });

  it('lists and revokes tokens, API keys and organization tokens; each is refused afterwards', async () => {
    const tokens = JSON.parse(ok(['token', 'list', 'ann@example.com', '--json']).stdout);
    const mine = tokens.find((t: { last4: string }) => t.last4 === token.slice(-4));
    expect(mine).toMatchObject({ state: 'active', scopes: expect.arrayContaining(['project:admin']) });
    expect(JSON.stringify(tokens)).not.toContain(token);
    const spare = ok(['token', 'create', 'ann@example.com', '--scopes', 'org:read']).lines.at(-1)!;
    const spareId = JSON.parse(ok(['token', 'list', 'ann@example.com', '--json']).stdout).at(-1).id;
    expect((await request(t.h, 'GET', '/api/0/', { token: spare })).status).toBe(200);
    ok(['token', 'revoke', String(spareId)]);
    expect((await request(t.h, 'GET', '/api/0/', { token: spare })).body).toEqual({ detail: 'Invalid token' });
    fails(['token', 'revoke', String(spareId)], /token \d+ not found/);

    const key = ok(['apikey', 'create', 'acme', '--scopes', 'org:read']).lines.at(-1)!;
    const keyId = JSON.parse(ok(['apikey', 'list', 'acme', '--json']).stdout).at(-1).id;
    ok(['apikey', 'revoke', 'acme', String(keyId)]);
    expect((await request(t.h, 'GET', '/api/0/', { basic: key })).body).toEqual({ detail: 'Key is disabled' });
    expect(JSON.parse(ok(['apikey', 'list', 'acme', '--json']).stdout).at(-1).state).toBe('revoked');

    const orgToken = ok(['orgtoken', 'create', 'acme']).lines.at(-1)!;
    const orgTokenId = JSON.parse(ok(['orgtoken', 'list', 'acme', '--json']).stdout).at(-1).id;
    ok(['orgtoken', 'revoke', 'acme', String(orgTokenId)]);
    expect((await request(t.h, 'GET', '/api/0/', { token: orgToken })).body).toEqual({ detail: 'Invalid org token' });

    const events = (await t.h.db.stores.auditLog.list((await t.h.db.stores.organizations.find({ slug: 'acme' }))!.id, 500)).map((e) => e.event);
    expect(events).toEqual(expect.arrayContaining(['apitoken.add', 'apitoken.remove', 'apikey.add', 'apikey.remove', 'orgauthtoken.create', 'orgauthtoken.remove']));
  });

  it('keys list --json is what the API returns', async () => {
    ok(['keys', 'create', 'acme/web', '--name', 'From CLI', '--rate-limit', '100/60']);
    const listed = JSON.parse(ok(['keys', 'list', 'acme/web', '--json']).stdout);
    const api = await request(t.h, 'GET', '/api/0/projects/acme/web/keys/', { token });
    expect(listed).toEqual(api.body);
    expect(listed[0]).toMatchObject({ name: 'From CLI', rateLimit: { window: 60, count: 100 } });
  });

  it('shows, updates and deletes a key, and the API sees each change', async () => {
    const [created] = JSON.parse(ok(['keys', 'list', 'acme/web', '--json']).stdout);
    const shown = JSON.parse(ok(['keys', 'show', 'acme/web', created.id, '--json']).stdout);
    expect(shown).toEqual(created);

    ok(['keys', 'update', 'acme/web', created.id, '--name', 'Renamed', '--disable', '--no-rate-limit', '--loader-option', 'hasDebug=true']);
    const after = await request(t.h, 'GET', `/api/0/projects/acme/web/keys/${created.id}/`, { token });
    expect(after.body).toMatchObject({ name: 'Renamed', isActive: false, rateLimit: null });
    expect(after.body.dynamicSdkLoaderOptions.hasDebug).toBe(true);

    ok(['keys', 'delete', 'acme/web', created.id]);
    expect((await request(t.h, 'GET', `/api/0/projects/acme/web/keys/${created.id}/`, { token })).status).toBe(404);
    const entries = await t.h.db.stores.auditLog.list((await t.h.db.stores.organizations.find({ slug: 'acme' }))!.id);
    expect(entries.filter((e) => e.event.startsWith('projectkey.')).map((e) => e.event).slice(0, 3)).toEqual(['projectkey.remove', 'projectkey.edit', 'projectkey.add']);
  });

  it('lists keys for people, filtered by status', () => {
    const human = ok(['keys', 'list', 'acme/web']);
    expect(human.stdout).toMatch(/Default\s+\(active\)/);
    expect(human.stdout).toMatch(/dsn:\s+http:\/\/[0-9a-f]{32}@testserver\//);
    expect(ok(['keys', 'list', 'acme/web', '--status', 'inactive']).stdout.trim()).toBe('no keys');
  });
});

describe('the CLI and the API agree', () => {
  const agree = suiteFixture(async () => {
    ok(['user', 'create', 'agree@example.com']);
    ok(['member', 'add', 'acme', 'agree@example.com', '--role', 'owner', '--team', 'backend']);
    const token = ok(['token', 'create', 'agree@example.com', '--scopes', 'project:admin,org:read']).lines.at(-1)!;
    return { token };
  });

  it('project create --json prints the project and its Default key as the API shows them', async () => {
    const printed = JSON.parse(ok(['project', 'create', 'acme/cli-app', '--team', 'backend', '--platform', 'node', '--json']).stdout);
    const project = await request(t.h, 'GET', '/api/0/projects/acme/cli-app/', { token: agree.token });
    expect(project.status).toBe(200);
    const { defaultKey, ...fields } = printed;
    expect(fields).toEqual({
      id: project.body.id,
      slug: project.body.slug,
      name: project.body.name,
      platform: 'node',
      dateCreated: project.body.dateCreated,
      status: project.body.status,
      team: project.body.team,
      teams: project.body.teams,
    });
    const keys = await request(t.h, 'GET', '/api/0/projects/acme/cli-app/keys/', { token: agree.token });
    expect(keys.body).toEqual([defaultKey]);
    const listed = await request(t.h, 'GET', '/api/0/organizations/acme/projects/?query=slug:cli-app', { token: agree.token });
    expect(listed.body.map((p: { id: string }) => p.id)).toEqual([printed.id]);
  });

  it('keys list --json shows a project created over the API exactly as the API does', async () => {
    const created = await request(t.h, 'POST', '/api/0/teams/acme/backend/projects/', { token: agree.token, body: { name: 'API App', platform: 'python' } });
    expect(created.status).toBe(201);
    const fromCli = JSON.parse(ok(['keys', 'list', `acme/${created.body.slug}`, '--json']).stdout);
    const fromApi = await request(t.h, 'GET', `/api/0/projects/acme/${created.body.slug}/keys/`, { token: agree.token });
    expect(fromCli).toEqual(fromApi.body);
    expect(fromCli.map((k: { name: string }) => k.name)).toEqual(['Default']);
  });

  it('a project deleted over the API is gone for the CLI too', async () => {
    expect((await request(t.h, 'DELETE', '/api/0/projects/acme/cli-app/', { token: agree.token })).status).toBe(204);
    const result = cli(['keys', 'list', 'acme/cli-app', '--json'], t.env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/project "acme\/cli-app" not found/);
  });
});

describe('changes made with the CLI reach a running server', () => {
  /** Events sent to the running server with a key until its answer is `want`; how long that took. */
  async function until(dsn: string, want: number): Promise<number> {
    const [, publicKey, projectId] = /^http:\/\/([0-9a-f]{32})@[^/]+\/(\d+)$/.exec(dsn)!;
    const started = Date.now();
    let status = 0;
    while (Date.now() - started < 3000) {
      const res = await fetch(`${t.h.baseUrl}/api/${projectId}/envelope/?sentry_key=${publicKey}`, { method: 'POST', body: '{}\n{"type":"event"}\n{}\n' });
      status = res.status;
      await res.arrayBuffer();
      if (status === want) return Date.now() - started;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`still ${status} after 3 s, expected ${want}`);
  }

  it('refuses a key disabled or deleted from the CLI within a second, and admits it again once enabled', async () => {
    const created = ok(['project', 'create', 'acme/live', '--json']);
    const dsn = JSON.parse(created.stdout).defaultKey.dsn.public as string;
    const publicKey = /([0-9a-f]{32})@/.exec(dsn)![1]!;
    // The server has the key in memory, as active.
    expect(await until(dsn, 200)).toBeLessThan(1000);
    ok(['keys', 'update', 'acme/live', publicKey, '--disable']);
    expect(await until(dsn, 403)).toBeLessThan(1000);
    ok(['keys', 'update', 'acme/live', publicKey, '--enable']);
    expect(await until(dsn, 200)).toBeLessThan(1000);
    ok(['keys', 'delete', 'acme/live', publicKey]);
    expect(await until(dsn, 403)).toBeLessThan(1000);
  });
});

describe('bad input: one line on stderr, a non-zero exit, nothing written', () => {
  it.each([
    [['org', 'create', 'acme'], /organization "acme" already exists/],
    [['org', 'create', 'Not Valid!'], /invalid organization slug/],
    [['org', 'create', 'api'], /organization slug "api" is reserved/],
    [['team', 'create', 'nope/backend'], /organization "nope" not found/],
    [['team', 'create', 'acme'], /expected <org>\/<team-slug>/],
    [['project', 'create', 'acme/web'], /project "acme\/web" already exists/],
    [['project', 'create', 'acme/UPPER'], /invalid project slug/],
    [['project', 'create', 'acme/x', '--team', 'ghost'], /team "acme\/ghost" not found/],
    [['project', 'create', 'acme/x', '--platform', 'cobol'], /--platform "cobol"/],
    [['user', 'create', 'not-an-email'], /invalid email address/],
    [['user', 'create', 'bob@example.com', '--password', 'short'], /at least 8 characters/],
    [['member', 'add', 'acme', 'ann@example.com', '--role', 'boss'], /--role must be member, admin, manager or owner/],
    [['member', 'add', 'acme', 'ghost@example.com', '--role', 'member'], /user "ghost@example.com" not found/],
    [['token', 'create', 'ann@example.com', '--scopes', 'project:destroy'], /project:destroy is not a valid scope/],
    [['token', 'create', 'ann@example.com'], /required option '--scopes/],
    [['token', 'create', 'ann@example.com', '--scopes', 'org:read', '--expires-in-days', 'soon'], /--expires-in-days must be a positive integer/],
    [['token', 'revoke', 'abc'], /token-id must be a number/],
    [['apikey', 'revoke', 'acme', '999'], /active API key 999 not found in acme/],
    [['keys', 'list', 'acme/ghost'], /project "acme\/ghost" not found/],
    [['keys', 'show', 'acme/web', 'f'.repeat(32)], /not found in acme\/web/],
    [['keys', 'create', 'acme/web', '--rate-limit', 'lots'], /--rate-limit must be COUNT\/WINDOW_SECONDS/],
    [['keys', 'create', 'acme/web', '--rate-limit', '1/90000'], /window must be at most 86400/],
    [['keys', 'create', 'acme/web', '--name', 'x'.repeat(65)], /--name must have at most 64 characters/],
    [['keys', 'update', 'acme/web', 'f'.repeat(32), '--enable', '--disable'], /cannot be used together/],
    [['keys', 'update', 'acme/web', 'f'.repeat(32), '--browser-sdk-version', '99.x'], /--browser-sdk-version must be one of/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('%j', (args, message) => {
    fails(args as string[], message as RegExp);
  });

  it('refuses a bad DATABASE_URL naming the variable', () => {
    const result = cli(['keys', 'list', 'acme/web'], { DATABASE_URL: 'mysql://x/y' });
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim()).toMatch(/^clientkeys: DATABASE_URL must be/);
  });

  it('says so when the database cannot be reached, with the exit code for "try again later"', () => {
    const result = cli(['keys', 'list', 'acme/web'], { DATABASE_URL: 'postgres://nobody:hunter2@127.0.0.1:1/none' });
    expect(result.code).toBe(69);
    expect(result.stderr.trim()).toMatch(/^clientkeys: cannot reach the database named by DATABASE_URL \(.*ECONNREFUSED/);
    expect(result.stderr).not.toContain('hunter2');
  });

  it('wrote no second key when creation failed', async () => {
    const keys = JSON.parse(ok(['keys', 'list', 'acme/web', '--json']).stdout);
    expect(keys.map((k: { name: string }) => k.name)).toEqual(['Default']);
  });
});

describe('housekeeping', () => {
  it('migrates an empty database and reports the version', () => {
    expect(ok(['migrate']).stdout).toMatch(/up to date/);
    expect(ok(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(ok(['--help']).stdout).toMatch(/keys/);
  });
});
