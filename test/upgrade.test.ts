/**
 * Upgrades: a database made by the previous schema version (every migration but the last, as the
 * release before this one left it, with data in it) is refused by the new server and CLI with a
 * message naming `clientkeys migrate`, listed by `migrate --dry-run`, and upgraded by `migrate`,
 * `serve --migrate` or AUTO_MIGRATE=1, keeping its data and ending with a fresh install's schema.
 * "Previous" is derived from the list of migrations, so the test follows new ones by itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/storage/database.ts';
import { migrateTo, migrationNames } from '../src/storage/migrate.ts';
import { dataTables } from '../src/storage/table-copy.ts';
import { cli } from './helpers/cli.ts';
import { recordSecret } from './helpers/secrets.ts';
import { serve } from './helpers/serve.ts';
import { createTestDatabase, type TestDatabase } from './helpers/test-database.ts';

const dialect = process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
const names = migrationNames(dialect);
const previous = names.at(-2) as string;
const latest = names.at(-1) as string;

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const KEY = { public: '0123456789abcdef'.repeat(2), secret: 'fedcba9876543210'.repeat(2) };

/** The JSON lines a server wrote (stdout lines and stderr chunks are mixed in `logs`). */
const entries = (logs: string[]) =>
  logs
    .flatMap((chunk) => chunk.split('\n'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as { msg?: string; migrations?: string[] }];
      } catch {
        return [];
      }
    });

async function fresh(): Promise<{ database: TestDatabase; dir: string; env: Record<string, string> }> {
  const dir = mkdtempSync(join(tmpdir(), 'clientkeys-upgrade-'));
  const database = await createTestDatabase(dir);
  cleanups.push(async () => {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { database, dir, env: { DATABASE_URL: database.url, PUBLIC_URL: 'http://testserver' } };
}

/** A database as the previous version left it, with an organization, a project and a key. */
async function previousVersionDatabase() {
  const made = await fresh();
  const db = openDatabase(made.database.config);
  try {
    await migrateTo(db.kysely as Kysely<unknown>, dialect, previous);
    // Only columns of the first schema: later migrations must keep such rows working.
    const now = '2025-01-02T03:04:05.000000Z';
    const org = await db.kysely.insertInto('organizations').values({ slug: 'acme', name: 'Acme', date_created: now }).returning('id').executeTakeFirstOrThrow();
    const project = await db.kysely
      .insertInto('projects')
      .values({ organization_id: org.id, slug: 'web', name: 'Web', platform: 'node', date_created: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.kysely
      .insertInto('project_keys')
      .values({
        project_id: project.id,
        label: 'Old Key',
        public_key: KEY.public,
        secret_key: KEY.secret,
        date_added: now,
        rate_limit_count: 100,
        rate_limit_window: 60,
        data: '{"dynamicSdkLoaderOptions":{"hasReplay":true}}',
        use_case: 'user',
      })
      .execute();
    recordSecret(KEY.secret);
  } finally {
    await db.close();
  }
  return made;
}

async function schemaOf(database: TestDatabase) {
  const db = openDatabase(database.config);
  try {
    const state = await db.schemaState();
    const tables = await dataTables(db.kysely as Kysely<any>, dialect);
    return { state, tables: tables.map((t) => ({ name: t.name, columns: [...t.columns].sort() })) };
  } finally {
    await db.close();
  }
}

/** The old key, read through the new code, as it must have survived. */
function expectOldKey(env: Record<string, string>) {
  const listed = cli(['keys', 'list', 'acme/web', '--json'], env);
  expect(listed.stderr).toBe('');
  const [key] = JSON.parse(listed.stdout);
  expect(key).toMatchObject({
    id: KEY.public,
    name: 'Old Key',
    secret: KEY.secret,
    isActive: true,
    rateLimit: { window: 60, count: 100 },
    dateCreated: '2025-01-02T03:04:05.000000Z',
    dynamicSdkLoaderOptions: { hasReplay: true, hasPerformance: false },
  });
}

async function expectLatestSchema(database: TestDatabase) {
  const upgraded = await schemaOf(database);
  expect(upgraded.state).toEqual({ kind: 'current', version: latest });
  const reference = await fresh();
  cli(['migrate'], reference.env);
  expect(upgraded.tables).toEqual((await schemaOf(reference.database)).tables);
}

describe(`a database of the previous schema version (${previous})`, () => {
  it('is refused by serve and by every other command, naming `clientkeys migrate`', async () => {
    const { dir, env } = await previousVersionDatabase();
    await expect(serve(dir, { ...env, PORT: '0' })).rejects.toThrow(/schema is at .*run `clientkeys migrate`/);
    for (const args of [['keys', 'list', 'acme/web'], ['org', 'create', 'other']]) {
      const result = cli(args, env);
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toMatch(
        new RegExp(`^clientkeys: the database schema is at ${previous} and clientkeys [\\d.]+ needs one more migration \\(${latest}\\): back it up .*then run \`clientkeys migrate\``),
      );
    }
  });

  it('migrate --dry-run lists what would run and changes nothing', async () => {
    const { database, env } = await previousVersionDatabase();
    const result = cli(['migrate', '--dry-run'], env);
    expect(result.code).toBe(0);
    expect(result.lines).toEqual([`the database schema is at ${previous}; migrate would run:`, `  ${latest}`]);
    expect((await schemaOf(database)).state).toEqual({ kind: 'outdated', version: previous, pending: [latest] });
  });

  it('clientkeys migrate upgrades it, quietly when piped, keeping its data', async () => {
    const { database, env } = await previousVersionDatabase();
    const result = cli(['migrate'], env);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.lines).toEqual([`applied ${latest}`, `the database schema is up to date (${latest})`]);
    expectOldKey(env);
    await expectLatestSchema(database);
    expect(cli(['migrate', '--dry-run'], env).stdout.trim()).toBe(`the database schema is up to date (${latest}); nothing to run`);
  });

  it.each([
    ['serve --migrate', ['--migrate'], {}],
    ['AUTO_MIGRATE=1', [], { AUTO_MIGRATE: '1' }],
  ])('%s upgrades it before listening, logging what ran', async (_name, args, extra) => {
    const { database, dir, env } = await previousVersionDatabase();
    const server = await serve(dir, { ...env, ...extra, PORT: '0', LOG_LEVEL: 'info' }, args);
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      const migrated = entries(server.logs).find((entry) => entry.msg === 'database schema migrated');
      expect(migrated?.migrations).toEqual([latest]);
      expectOldKey(env);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await expectLatestSchema(database);
  });
});

describe('other schema states', () => {
  it('an empty database: dry run lists every migration and creates nothing; serve creates the schema', async () => {
    const { database, dir, env } = await fresh();
    const result = cli(['migrate', '--dry-run'], env);
    expect(result.lines).toEqual(['the database is empty; migrate would create the schema:', ...names.map((n) => `  ${n}`)]);
    expect((await schemaOf(database)).state.kind).toBe('empty');
    const server = await serve(dir, { ...env, PORT: '0', LOG_LEVEL: 'info' });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.logs.join('\n')).toContain('"msg":"database schema created"');
    expect((await schemaOf(database)).state).toEqual({ kind: 'current', version: latest });
  });

  it('a database migrated by a newer clientkeys is refused by serve, migrate and every command', async () => {
    const { database, dir, env } = await fresh();
    expect(cli(['migrate'], env).code).toBe(0);
    const db = openDatabase(database.config);
    await (db.kysely as Kysely<any>).insertInto('kysely_migration').values({ name: '9999-from-the-future', timestamp: '2099-01-01T00:00:00.000Z' }).execute();
    await db.close();
    const newer = /newer clientkeys \(its migrations 9999-from-the-future are unknown/;
    await expect(serve(dir, { ...env, PORT: '0', AUTO_MIGRATE: '1' })).rejects.toThrow(newer);
    for (const args of [['migrate'], ['migrate', '--dry-run'], ['keys', 'list', 'acme/web']]) {
      const result = cli(args, env);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(newer);
    }
  });
});
