/**
 * `clientkeys serve` as a user starts it: no configuration but a port, an embedded database
 * created under ./data/ of the working directory, JSON logs, and a clean exit on SIGTERM.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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

  it('refuses to start on bad configuration, naming the variable', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'clientkeys-serve-'));
    dirs.push(cwd);
    await expect(serve(cwd, { PORT: 'ninety' })).rejects.toThrow(/PORT must be an integer/);
  });
});
