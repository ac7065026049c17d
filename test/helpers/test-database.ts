/**
 * The database a test gets: a fresh SQLite file, or with TEST_DATABASE=postgres a fresh database
 * on the run's PostgreSQL server, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import type { DatabaseConfig } from '../../src/config.ts';

export const usingPostgres = process.env.TEST_DATABASE === 'postgres';

export interface TestDatabase {
  config: DatabaseConfig;
  /** As DATABASE_URL would say it (for the CLI). */
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(dir: string): Promise<TestDatabase> {
  if (!usingPostgres) {
    const path = join(dir, 'clientkeys.sqlite');
    return { config: { kind: 'sqlite', path }, url: `sqlite:${path}`, drop: async () => {} };
  }
  const adminUrl = inject('postgresAdminUrl');
  const name = `clientkeys_test_${randomBytes(6).toString('hex')}`;
  await admin(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    config: { kind: 'postgres', url: url.toString(), poolSize: 10, connectTimeoutMs: 5000 },
    url: url.toString(),
    drop: () => admin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}
