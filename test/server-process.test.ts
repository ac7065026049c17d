/**
 * `clientkeys serve` as a user starts it: no configuration but a port, an embedded database
 * created under ./data/ of the working directory, JSON logs, and a clean exit on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  url: string;
  logs: string[];
  exited: Promise<number | null>;
}

function startServe(cwd: string, env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${logs.join('\n')}`)), 20_000);
    child.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      logs.push(line);
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === 'clientkeys is listening' && entry.url) {
        clearTimeout(timer);
        resolve({ child, url: entry.url, logs, exited });
      }
    });
    void exited.then((code) => reject(new Error(`server exited with ${code}: ${logs.join('\n')}`)));
  });
}

describe('clientkeys serve', () => {
  it('starts on an empty directory with the embedded default database and stops on SIGTERM', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'clientkeys-serve-'));
    dirs.push(cwd);
    const server = await startServe(cwd, { PORT: '0' });
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
    await expect(startServe(cwd, { PORT: 'ninety' })).rejects.toThrow(/PORT must be an integer/);
  });
});
