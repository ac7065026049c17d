/**
 * What a suite's tests share (a harness, its organization, a backend…), built once by the suite's
 * `beforeAll` and torn down by its `afterAll`, in the reverse order of set-up — also when set-up
 * failed half-way, so a failed start leaves no server or database behind.
 *
 *   const t = suiteFixture(async (onCleanup) => {
 *     const h = await startHarness();
 *     onCleanup(() => h.close());
 *     return { h, org: await new Seed(h.services).org('acme') };
 *   });
 *   it('…', async () => { await request(t.h, 'GET', `/api/0/organizations/${t.org.slug}/`); });
 *
 * Called at a file's top level it serves the file; called in a `describe`, that suite. Its type is
 * what the set-up returns; reading it before `beforeAll` has run is an error that says so.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { closeServices } from '../../src/composition.ts';
import { Seed, servicesWithDatabase, testConfig } from './harness.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

export type OnCleanup = (cleanup: () => unknown) => void;

export function suiteFixture<T extends object>(setup: (onCleanup: OnCleanup) => Promise<T>): T {
  let value: T | undefined;
  const cleanups: (() => unknown)[] = [];
  beforeAll(async () => {
    value = await setup((cleanup) => cleanups.push(cleanup));
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  return new Proxy({} as T, {
    get(_, name) {
      if (value === undefined) throw new Error(`the suite's fixture was read (${String(name)}) before its beforeAll ran`);
      const member: unknown = Reflect.get(value, name);
      // A method runs on the object itself, whose private fields a proxy does not have.
      return typeof member === 'function' ? member.bind(value) : member;
    },
  });
}

/**
 * A fresh database in a temporary folder, for the `clientkeys serve` processes a test starts: migrated,
 * seeded through the real services (closed again before any process opens it), and the environment
 * to start those processes with. Dropped and removed at cleanup.
 */
export async function processDatabase<T>(
  onCleanup: OnCleanup,
  name: string,
  seed: (seed: Seed) => Promise<T>,
): Promise<{ dir: string; database: TestDatabase; env: Record<string, string>; seeded: T }> {
  const dir = mkdtempSync(join(tmpdir(), `clientkeys-${name}-`));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const database = await createTestDatabase(dir);
  onCleanup(() => database.drop());
  const { services, db } = servicesWithDatabase(testConfig(database.config));
  await db.migrate();
  const seeded = await seed(new Seed(services));
  await closeServices(services);
  const env = { DATABASE_URL: database.url, PORT: '0', LOG_LEVEL: 'info', PUBLIC_URL: 'http://testserver' };
  return { dir, database, env, seeded };
}
