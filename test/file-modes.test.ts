/**
 * Files that hold secrets are readable by their owner only: the live SQLite database and its WAL
 * and shared-memory files, a backup while it is being written and once it is done, and a key export
 * written over an existing file. Under the usual umask (022), which would make them 0644.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeServices } from '../src/composition.ts';
import { cli } from './helpers/cli.ts';
import { Seed, servicesWithDatabase, testConfig } from './helpers/harness.ts';
import { createTestDatabase } from './helpers/test-database.ts';
import { suiteFixture } from './helpers/fixture.ts';

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

const t = suiteFixture(async (onCleanup) => {
  const previousUmask = process.umask(0o022);
  onCleanup(() => process.umask(previousUmask));
  const dir = mkdtempSync(join(tmpdir(), 'clientkeys-modes-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return { dir };
});

describe('the embedded database', () => {
  it('is created 0600, and so are its -wal and -shm files', async () => {
    const path = join(t.dir, 'fresh', 'clientkeys.sqlite');
    const { services, db } = servicesWithDatabase(testConfig({ kind: 'sqlite', path }));
    await db.migrate();
    await new Seed(services).org('acme');
    expect(existsSync(`${path}-wal`)).toBe(true);
    expect([mode(path), mode(`${path}-wal`), mode(`${path}-shm`)]).toEqual(['600', '600', '600']);
    await closeServices(services);
  });

  it('is made 0600 when an older install left it readable by others', async () => {
    const path = join(t.dir, 'old.sqlite');
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    const { services, db } = servicesWithDatabase(testConfig({ kind: 'sqlite', path }));
    await db.migrate();
    expect(mode(path)).toBe('600');
    await closeServices(services);
  });
});

describe('a backup and a key export', () => {
  const database = suiteFixture(async (onCleanup) => {
    const database = await createTestDatabase(mkdtempSync(join(t.dir, 'db-')));
    onCleanup(() => database.drop());
    const { services, db } = servicesWithDatabase(testConfig(database.config));
    await db.migrate();
    const seed = new Seed(services);
    const project = await seed.project(await seed.org('acme'), 'web');
    for (let i = 0; i < 50; i++) await services.keys.create(project, { name: `k${i}`, useCase: 'user' }, { userId: null, keyId: null, label: 'test', ipAddress: null });
    await closeServices(services);
    return database;
  });

  it('writes the backup 0600 from its first byte to its last', async () => {
    const { services, db } = servicesWithDatabase(testConfig(database.config));
    const file = join(t.dir, 'backup.sqlite');
    const partialModes = new Set<string>();
    const result = await db.backup(file, () => {
      for (const name of readdirSync(t.dir)) if (name.startsWith('backup.sqlite.partial-')) partialModes.add(mode(join(t.dir, name)));
    });
    await closeServices(services);
    expect(result.ok).toBe(true);
    expect([...partialModes]).toEqual(['600']);
    expect(mode(file)).toBe('600');
  });

  it('exports keys 0600 even over an existing file that was 0644', () => {
    const file = join(t.dir, 'keys.json');
    writeFileSync(file, 'old');
    chmodSync(file, 0o644);
    const result = cli(['keys', 'export', 'acme/web', '--output', file], { DATABASE_URL: database.url, PUBLIC_URL: 'http://testserver' });
    expect(result.code).toBe(0);
    expect(mode(file)).toBe('600');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveLength(51);
  });
});
