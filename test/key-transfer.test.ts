/**
 * keys import / keys export: a project's keys as Sentry's API lists them. The fixture is what two
 * pages of `GET /api/0/projects/{org}/{project}/keys/` from a Sentry instance look like appended to
 * one file. Imports keep every field an SDK or an operator depends on, are idempotent, refuse keys
 * of other projects as a whole, and round-trip through `keys export` into another installation.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { cli, cliOnTerminal, type CliResult } from './helpers/cli.ts';
import { request, startHarness } from './helpers/harness.ts';
import { recordSecret } from './helpers/secrets.ts';
import { createTestDatabase, type TestDatabase } from './helpers/test-database.ts';
import { suiteFixture } from './helpers/fixture.ts';

const FIXTURE = resolve(import.meta.dirname, 'fixtures/sentry-project-keys.json');
/** The fixture's keys in the order Sentry listed them (newest first, over both pages). */
const sentryKeys = (JSON.parse(`[${readFileSync(FIXTURE, 'utf8').replace(/\]\s*\[/, '],[')}]`) as Record<string, any>[][]).flat();

const others: TestDatabase[] = [];

const t = suiteFixture(async (onCleanup) => {
  for (const key of sentryKeys) recordSecret(key.secret);
  const h = await startHarness();
  onCleanup(() => h.close());
  const env = { DATABASE_URL: h.databaseUrl, PUBLIC_URL: h.config.publicUrl };
  const dir = mkdtempSync(join(tmpdir(), 'clientkeys-transfer-'));
  onCleanup(async () => {
    for (const database of others) await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  ok(cli(['org', 'create', 'acme'], env));
  ok(cli(['project', 'create', 'acme/web'], env));
  ok(cli(['project', 'create', 'acme/other'], env));
  ok(cli(['user', 'create', 'root@example.com', '--superuser'], env));
  // A superuser's token is an ordinary member's token: it needs the membership.
  ok(cli(['member', 'add', 'acme', 'root@example.com', '--role', 'owner'], env));
  const token = ok(cli(['token', 'create', 'root@example.com', '--scopes', 'project:admin,org:read'], env)).lines.at(-1)!;
  return { h, env, token, dir };
});

function ok(result: CliResult): CliResult {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  return result;
}

function refused(result: CliResult, message: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stderr.trim()).toMatch(message);
}

async function apiKeys(project: string): Promise<Record<string, any>[]> {
  const res = await request(t.h, 'GET', `/api/0/projects/acme/${project}/keys/?per_page=100`, { token: t.token });
  expect(res.status).toBe(200);
  return res.body;
}

const file = (name: string, content: unknown) => {
  const path = join(t.dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};

const freshKey = (n: number) => ({ public: n.toString(16).padStart(32, 'c'), secret: n.toString(16).padStart(32, 'd'), name: `new ${n}` });

describe('keys import from a Sentry instance', () => {
  it("imports every page of Sentry's key list, keeping keys, names, state, limits, loader options and dates", async () => {
    expect(ok(cli(['keys', 'import', 'acme/web', FIXTURE], t.env)).stdout).toBe('imported 3 keys into acme/web\n');
    const listed = await apiKeys('web');
    // Sentry's order (newest first) survives; the project's own Default key is older than the import.
    expect(listed.map((k) => k.id)).toEqual([...sentryKeys.map((k) => k.id), expect.any(String)]);
    const projectId = listed[0]!.projectId;
    for (const [i, sentry] of sentryKeys.entries()) {
      const key = listed[i]!;
      expect(key).toMatchObject({
        public: sentry.public,
        secret: sentry.secret,
        name: sentry.name,
        isActive: sentry.isActive,
        rateLimit: sentry.rateLimit,
        browserSdkVersion: sentry.browserSdkVersion,
        dateCreated: sentry.dateCreated,
        dynamicSdkLoaderOptions: { hasFeedback: false, hasLogsAndMetrics: false, ...sentry.dynamicSdkLoaderOptions },
      });
      // The DSN now names this server and this project.
      expect(key.dsn.public).toBe(`http://${sentry.public}@testserver/${projectId}`);
    }
  });

  it('imports nothing twice: a second run leaves the keys as they are', async () => {
    const before = await apiKeys('web');
    expect(ok(cli(['keys', 'import', 'acme/web', FIXTURE], t.env)).stdout).toBe('imported 0 keys into acme/web (3 already there, left as they are)\n');
    expect(await apiKeys('web')).toEqual(before);
    const org = (await t.h.db.stores.organizations.find({ slug: 'acme' }))!;
    const imported = (await t.h.db.stores.auditLog.list(org.id, 500)).filter((e) => e.event === 'projectkey.add' && JSON.parse(e.data).imported);
    expect(imported.map((e) => JSON.parse(e.data).public_key).sort()).toEqual(sentryKeys.map((k) => k.public).sort());
    expect(JSON.stringify(imported)).not.toContain(sentryKeys[0]!.secret);
  });

  it('refuses a file with a key of another project as a whole: not even its new keys are imported', async () => {
    // Newest first as in Sentry's list: the new key is created first, then the foreign one is met.
    const mixed = file('mixed.json', [sentryKeys[1], freshKey(1)]);
    refused(
      cli(['keys', 'import', 'acme/other', mixed], t.env),
      new RegExp(`^clientkeys: key ${sentryKeys[1]!.public} already belongs to project acme/web \\(a public key identifies one project\\); nothing was imported$`),
    );
    expect((await apiKeys('other')).map((k) => k.name)).toEqual(['Default']);
  });

  it('refuses a key that is in the project with another secret', async () => {
    const changed = file('changed.json', [{ ...sentryKeys[0], secret: 'f'.repeat(32) }]);
    refused(cli(['keys', 'import', 'acme/web', changed], t.env), /^clientkeys: key \w+ is already in this project with a different secret; nothing was imported$/);
  });

  it('reads the file from stdin with "-"', async () => {
    const key = freshKey(2);
    recordSecret(key.secret);
    expect(ok(cli(['keys', 'import', 'acme/other', '-'], t.env, JSON.stringify([key]))).stdout).toBe('imported 1 key into acme/other\n');
    expect((await apiKeys('other')).map((k) => k.id)).toContain(key.public);
  });

  it.each([
    ['not JSON', '{"oops"', /: not JSON: /],
    ['not a list', '{"public": "x"}', /: expected a JSON array of keys/],
    ['a bad public key', JSON.stringify([{ ...freshKey(3), public: 'XYZ' }]), /: key 1 \(public XYZ\): public: must be 32 lowercase hex characters$/],
    ['a window over a day', JSON.stringify([{ ...freshKey(4), rateLimit: { window: 90000, count: 1 } }]), /: key 1 .*: rateLimit\.window: /],
    ['an unknown browser SDK version', JSON.stringify([{ ...freshKey(5), browserSdkVersion: '99.x' }]), /: key 1 .*: browserSdkVersion: /],
  ])('refuses %s, saying where', (name, content, message) => {
    refused(cli(['keys', 'import', 'acme/other', file(`${name}.json`, content)], t.env), message);
  });

  it('shows a progress bar on a terminal', () => {
    const result = cliOnTerminal(['keys', 'import', 'acme/web', FIXTURE], t.env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/import \[█+\] 100% \| 3\/3 keys/);
  });
});

describe('keys export', () => {
  it('prints JSON alone on stdout when piped (no progress on stderr)', async () => {
    const result = ok(cli(['keys', 'export', 'acme/web'], t.env));
    const exported = JSON.parse(result.stdout) as Record<string, any>[];
    const listed = await apiKeys('web');
    // As the API shows the keys to a superuser: the same keys and fields, with their use case.
    expect(exported).toEqual(listed.map((k) => ({ ...k, useCase: 'user' })));
  });

  it('moves a project to another installation: export, then import there', async () => {
    const output = join(t.dir, 'web-keys.json');
    expect(ok(cli(['keys', 'export', 'acme/web', '--output', output], t.env)).stdout).toBe(`exported 4 keys of acme/web to ${output}\n`);
    expect(statSync(output).mode & 0o777).toBe(0o600);

    const target = await createTestDatabase(mkdtempSync(join(t.dir, 'target-')));
    others.push(target);
    const there = { DATABASE_URL: target.url, PUBLIC_URL: 'https://keys.example.com' };
    ok(cli(['org', 'create', 'acme'], there));
    ok(cli(['project', 'create', 'acme/web'], there));
    expect(ok(cli(['keys', 'import', 'acme/web', output], there)).stdout).toBe('imported 4 keys into acme/web\n');

    const moved = JSON.parse(ok(cli(['keys', 'list', 'acme/web', '--json'], there)).stdout) as Record<string, any>[];
    const strip = ({ dsn, projectId, useCase, ...rest }: Record<string, any>) => rest;
    const exported = JSON.parse(readFileSync(output, 'utf8')) as Record<string, any>[];
    expect(moved.slice(0, 4).map(strip)).toEqual(exported.map(strip));
    expect(moved[0]!.dsn.public).toMatch(/^https:\/\/[0-9a-f]{32}@keys\.example\.com\/\d+$/);
  });
});
