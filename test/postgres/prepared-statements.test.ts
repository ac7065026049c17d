/**
 * On PostgreSQL the process names its parameterised queries (src/storage/database.ts), so each is
 * parsed and planned once per connection. A table whose columns change under a prepared `select *`
 * (another instance migrating) fails that one execution and the statement is prepared afresh.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/database.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';
import { suiteFixture } from '../helpers/fixture.ts';

const t = suiteFixture(async (onCleanup) => {
  const dir = mkdtempSync(join(tmpdir(), 'clientkeys-prepared-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const database = await createTestDatabase(dir);
  onCleanup(() => database.drop());
  // One connection, so what one query prepared the next one sees.
  const db = openDatabase({ ...(database.config as Extract<TestDatabase['config'], { kind: 'postgres' }>), poolSize: 1 });
  onCleanup(() => db.close());
  await db.migrate();
  return { database, db };
});

describe('prepared statements (PostgreSQL)', () => {
  it('prepares a parameterised query once and reuses it', async () => {
    await t.db.stores.projectKeys.byPublicKey('0'.repeat(32));
    await t.db.stores.projectKeys.byPublicKey('1'.repeat(32));
    const { rows } = await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements where statement like ${'%from "project_keys" where "public_key"%'}`.execute(t.db.kysely);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.name).toMatch(/^clientkeys_\d+$/);
  });

  it('recovers when a table changes under a prepared select *', async () => {
    await t.db.kysely.selectFrom('project_keys').selectAll().where('id', '=', 1).execute();
    const other = new pg.Client({ connectionString: t.database.url });
    await other.connect();
    try {
      await other.query('alter table project_keys add column prepared_test integer');
      const attempt = () => t.db.kysely.selectFrom('project_keys').selectAll().where('id', '=', 1).execute();
      // The first execution fails ("cached plan must not change result type"); the next is prepared afresh.
      const first = await attempt().then(
        () => 'ok',
        (error: { code?: string }) => error.code,
      );
      expect(first).toBe('0A000');
      await expect(attempt()).resolves.toEqual([]);
    } finally {
      await other.query('alter table project_keys drop column prepared_test').catch(() => {});
      await other.end();
    }
  });
});
