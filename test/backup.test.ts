/**
 * Backup and restore: `clientkeys backup` copies the database while a running server takes
 * concurrent creates; the copy restored into a fresh database holds every key acknowledged before
 * the backup started, intact, and the restored database takes new writes. A restore refuses a
 * database that holds data, and a file that is not a backup.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeServices } from '../src/composition.ts';
import { cli, cliAsync, cliOnTerminal, type CliResult } from './helpers/cli.ts';
import { Seed, servicesWithDatabase, testConfig } from './helpers/harness.ts';
import { recordSecret } from './helpers/secrets.ts';
import { serve } from './helpers/serve.ts';
import { createTestDatabase, type TestDatabase } from './helpers/test-database.ts';
import { suiteFixture } from './helpers/fixture.ts';

const PUBLIC_URL = 'http://testserver';
const databases: TestDatabase[] = [];

const t = suiteFixture(async (onCleanup) => {
  const dir = mkdtempSync(join(tmpdir(), 'clientkeys-backup-'));
  const source = await createTestDatabase(dir);
  onCleanup(async () => {
    for (const database of [source, ...databases]) await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  const { services, db } = servicesWithDatabase(testConfig(source.config));
  await db.migrate();
  const { owner: token } = await new Seed(services).acme();
  await closeServices(services);
  return { dir, source, token };
});

/** A new empty database of the engine under test (in its own folder, for SQLite). */
async function emptyDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase(mkdtempSync(join(t.dir, 'db-')));
  databases.push(database);
  return database;
}

const env = (database: TestDatabase) => ({ DATABASE_URL: database.url, PUBLIC_URL });

const ok = (result: CliResult) => {
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  return result;
};

function keysOf(database: TestDatabase, project = 'acme/web'): Map<string, Record<string, unknown>> {
  const listed = JSON.parse(ok(cli(['keys', 'list', project, '--json'], env(database))).stdout) as Record<string, unknown>[];
  return new Map(listed.map((key) => [key.id as string, key]));
}

describe('backup under write load, then restore', () => {
  const backupFile = () => join(t.dir, 'under-load.sqlite');
  let acknowledgedBefore: Record<string, unknown>[] = [];

  it('copies the database while the server acknowledges concurrent creates', async () => {
    const server = await serve(t.dir, { ...env(t.source), PORT: '0', LOG_LEVEL: 'info' });
    const acknowledged: { key: Record<string, unknown>; at: number }[] = [];
    let stop = false;
    const writer = async (n: number) => {
      for (let i = 0; !stop; i++) {
        const res = await fetch(`${server.url}/api/0/projects/acme/web/keys/`, {
          method: 'POST',
          headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: `w${n}-${i}` }),
        });
        if (res.status === 201) {
          const key = (await res.json()) as Record<string, unknown>;
          recordSecret(key.secret as string);
          acknowledged.push({ key, at: performance.now() });
        }
      }
    };
    const writers = Array.from({ length: 10 }, (_, n) => writer(n));
    try {
      while (acknowledged.length < 50) await new Promise((r) => setTimeout(r, 5));
      // The server keeps acknowledging creates while the backup runs. On a machine busy with the
      // rest of the suite a window of a second can pass with none answered for want of a core, so
      // up to three backups are taken; one that blocked writers would show none in every window.
      let duringBackup = 0;
      for (let attempt = 0; attempt < 3 && duringBackup === 0; attempt++) {
        const started = performance.now();
        acknowledgedBefore = acknowledged.map((a) => a.key);
        const result = await cliAsync(['backup', backupFile(), ...(attempt > 0 ? ['--force'] : [])], env(t.source));
        const ended = performance.now();
        ok(result);
        expect(result.stdout).toMatch(/^backed up .* \(schema \d{4}-[\w-]+\) to .*under-load\.sqlite \(\d+ bytes\)\n$/);
        duringBackup = acknowledged.filter((a) => a.at > started && a.at < ended).length;
      }
      expect(duringBackup).toBeGreaterThan(0);
    } finally {
      stop = true;
      await Promise.all(writers);
      server.child.kill('SIGTERM');
      await server.exited;
    }
    // Only its owner may read it: it holds credential hashes and client keys.
    expect(statSync(backupFile()).mode & 0o777).toBe(0o600);
  });

  it('restores into a fresh database with every key acknowledged before the backup started', async () => {
    const target = await emptyDatabase();
    const result = ok(cli(['restore', backupFile()], env(target)));
    expect(result.stdout).toMatch(/^restored \d+ rows from .* into .* \(schema [\w-]+\)\n$/);
    const restored = keysOf(target);
    expect(acknowledgedBefore.length).toBeGreaterThanOrEqual(50);
    for (const key of acknowledgedBefore) expect(restored.get(key.id as string)).toEqual(key);
    // And it is a working database: new keys get new ids (PostgreSQL's sequences moved past the restored rows).
    const created = JSON.parse(ok(cli(['keys', 'create', 'acme/web', '--name', 'after restore', '--json'], env(target))).stdout);
    recordSecret(created.secret);
    expect(keysOf(target).get(created.id)).toMatchObject({ name: 'after restore' });
    const users = ok(cli(['token', 'list', 'owner@acme.example', '--json'], env(target)));
    expect(JSON.parse(users.stdout)).toHaveLength(1);
  });

  it('refuses to restore into a database that holds data, and changes nothing there', async () => {
    const before = keysOf(t.source);
    const result = cli(['restore', backupFile()], env(t.source));
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^clientkeys: .* is not empty \(.*\d+ in project_keys.*\): restore only into an empty database/);
    expect(keysOf(t.source)).toEqual(before);
  });
});

describe('backup and restore refuse what they cannot do', () => {
  it('does not replace an existing file without --force', () => {
    const file = join(t.dir, 'existing.sqlite');
    writeFileSync(file, 'keep me');
    const result = cli(['backup', file], env(t.source));
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`clientkeys: ${file} exists; pass --force to replace it`);
    ok(cli(['backup', '--force', file], env(t.source)));
    expect(statSync(file).size).toBeGreaterThan(1000);
  });

  it('does not create the database it is asked to back up', () => {
    const missing = join(t.dir, 'nowhere', 'missing.sqlite');
    const result = cli(['backup', join(t.dir, 'x.sqlite')], { DATABASE_URL: `sqlite:${missing}` });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`clientkeys: no database at ${missing} (check DATABASE_URL)`);
  });

  it('refuses a file that is not a backup', async () => {
    const target = await emptyDatabase();
    const file = join(t.dir, 'not-a-backup.json');
    writeFileSync(file, '[]');
    const result = cli(['restore', file], env(target));
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^clientkeys: .*not-a-backup\.json is not a clientkeys backup \(/);
  });

  it('shows a progress bar on a terminal, and nothing on stderr when piped', () => {
    const file = join(t.dir, 'progress.sqlite');
    const piped = ok(cli(['backup', file], env(t.source)));
    expect(piped.stdout).not.toContain('[');
    const terminal = cliOnTerminal(['backup', '--force', file], env(t.source));
    expect(terminal.code).toBe(0);
    expect(terminal.stdout).toMatch(/backup \[[█░]+\] 100% \| (\d+)\/\1 (pages|rows)/);
  });
});
