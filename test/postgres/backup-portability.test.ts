/**
 * A backup is a SQLite file whichever engine it came from: one taken from PostgreSQL restores
 * into SQLite (and back), so an installation can move between the engines with backup/restore.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeServices } from '../../src/composition.ts';
import { cli } from '../helpers/cli.ts';
import { Seed, servicesWithDatabase, testConfig } from '../helpers/harness.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';
import { suiteFixture } from '../helpers/fixture.ts';

const PUBLIC_URL = 'http://testserver';
const databases: TestDatabase[] = [];

const t = suiteFixture(async (onCleanup) => {
  const dir = mkdtempSync(join(tmpdir(), 'clientkeys-portability-'));
  onCleanup(async () => {
    for (const database of databases) await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir };
});

function run(args: string[], databaseUrl: string) {
  const result = cli(args, { DATABASE_URL: databaseUrl, PUBLIC_URL });
  expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: '' });
  return result;
}

describe('moving between PostgreSQL and SQLite with backup and restore', () => {
  it('PostgreSQL → backup → SQLite → backup → PostgreSQL keeps every key', async () => {
    const postgres = await createTestDatabase(t.dir);
    databases.push(postgres);
    const { services, db } = servicesWithDatabase(testConfig(postgres.config));
    await db.migrate();
    const seed = new Seed(services);
    const org = await seed.org('acme');
    const project = await seed.project(org, 'web');
    for (const name of ['one', 'two', 'three']) await services.keys.create(project, { name, useCase: 'user' }, { userId: null, keyId: null, label: 'test', ipAddress: null });
    await closeServices(services);
    const original = run(['keys', 'list', 'acme/web', '--json'], postgres.url).stdout;
    expect(JSON.parse(original)).toHaveLength(4);

    const fromPostgres = join(t.dir, 'from-postgres.sqlite');
    run(['backup', fromPostgres], postgres.url);
    const sqlite = `sqlite:${join(t.dir, 'moved.sqlite')}`;
    run(['restore', fromPostgres], sqlite);
    expect(run(['keys', 'list', 'acme/web', '--json'], sqlite).stdout).toBe(original);

    const fromSqlite = join(t.dir, 'from-sqlite.sqlite');
    run(['backup', fromSqlite], sqlite);
    const back = await createTestDatabase(t.dir);
    databases.push(back);
    run(['restore', fromSqlite], back.url);
    expect(run(['keys', 'list', 'acme/web', '--json'], back.url).stdout).toBe(original);
  });
});
