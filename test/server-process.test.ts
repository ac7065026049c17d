/**
 * `clientkeys serve` as a user starts it: no configuration but a port, an embedded database
 * created under ./data/ of the working directory, JSON logs, and a clean exit on SIGTERM.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { seedDatabase } from '../bench/seed.ts';
import { serve } from './helpers/serve.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('clientkeys serve', () => {
  it('starts on an empty directory with the embedded default database and stops on SIGTERM', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'clientkeys-serve-'));
    dirs.push(cwd);
    const server = await serve(cwd, { PORT: '0' });
    expect(existsSync(join(cwd, 'data', 'clientkeys.sqlite'))).toBe(true);

    const index = await fetch(`${server.url}/api/0/`);
    expect(index.status).toBe(200);
    expect(await index.json()).toEqual({ version: '0', auth: null, user: null });
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

    const secret = 'sntryu_' + 'ab'.repeat(32);
    expect((await fetch(`${server.url}/api/0/`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    const logText = server.logs.join('\n');
    expect(logText).toContain('"statusCode":401');
    expect(logText).not.toContain(secret);
  });

  it('listens before its key map is loaded, and answers every key right from the start', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'clientkeys-serve-'));
    dirs.push(cwd);
    const path = join(cwd, 'keys.sqlite');
    await seedDatabase(`sqlite:${path}`, 20_000);
    // The map loads in public-key order: these are the keys it holds last. One of them is disabled.
    const db = new SQLite(path);
    const keys = db.prepare('select public_key, project_id from project_keys order by public_key desc limit 20').all() as { public_key: string; project_id: number }[];
    db.prepare('update project_keys set status = 1 where public_key = ?').run(keys[0]!.public_key);
    const total = (db.prepare('select count(*) as n from project_keys').get() as { n: number }).n;
    db.close();

    const server = await serve(cwd, { PORT: '0', DATABASE_URL: `sqlite:${path}` });
    const statuses = await Promise.all(
      keys.map(async (key) => {
        const response = await fetch(`${server.url}/api/${key.project_id}/envelope/?sentry_key=${key.public_key}`, {
          method: 'POST',
          body: '{}\n{"type":"event"}\n{"message":"hello"}\n',
        });
        await response.arrayBuffer();
        return response.status;
      }),
    );
    expect(statuses).toEqual([403, ...Array<number>(19).fill(200)]);

    const loadedLine = () => server.logs.findIndex((line) => line.includes('"msg":"ingest key map loaded"'));
    for (let waited = 0; loadedLine() < 0 && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    const listeningLine = server.logs.findIndex((line) => line.includes('"msg":"clientkeys is listening"'));
    expect(listeningLine).toBeGreaterThanOrEqual(0);
    expect(loadedLine()).toBeGreaterThan(listeningLine);
    expect(JSON.parse(server.logs[loadedLine()]!)).toMatchObject({ keys: total });
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('refuses to start on bad configuration, naming the variable', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'clientkeys-serve-'));
    dirs.push(cwd);
    await expect(serve(cwd, { PORT: 'ninety' })).rejects.toThrow(/PORT must be an integer/);
  });
});
