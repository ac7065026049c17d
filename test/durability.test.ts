/**
 * Nothing acknowledged is lost: the server is killed (SIGKILL) in the middle of concurrent
 * creates and restarted, and every key whose 201 arrived is there, intact. And SIGTERM lets
 * in-flight requests finish before the process exits.
 */
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { serve } from './helpers/serve.ts';
import { processDatabase, suiteFixture } from './helpers/fixture.ts';

const t = suiteFixture(async (onCleanup) => {
  const { dir, env, seeded } = await processDatabase(onCleanup, 'durability', (seed) => seed.acme());
  return { dir, env, token: seeded.owner };
});

const keys = '/api/0/projects/acme/web/keys/';
const headers = () => ({ authorization: `Bearer ${t.token}`, 'content-type': 'application/json' });

describe('durability', () => {
  it('keeps every acknowledged key when the server is killed mid-write', async () => {
    const first = await serve(t.dir, t.env);
    const acknowledged: Record<string, unknown>[] = [];
    let stop = false;
    const writer = async (n: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await fetch(`${first.url}${keys}`, { method: 'POST', headers: headers(), body: JSON.stringify({ name: `w${n}-${i}` }) });
          if (res.status === 201) acknowledged.push((await res.json()) as Record<string, unknown>);
        } catch {
          return; // the server is gone
        }
      }
    };
    const writers = Array.from({ length: 20 }, (_, n) => writer(n));
    while (acknowledged.length < 100) await new Promise((r) => setTimeout(r, 5));
    first.child.kill('SIGKILL');
    await first.exited;
    stop = true;
    await Promise.all(writers);

    const second = await serve(t.dir, t.env);
    try {
      const listed = new Map<string, unknown>();
      let next: string | undefined = `${second.url}${keys}?per_page=100`;
      while (next) {
        const res = await fetch(next, { headers: headers() });
        for (const key of (await res.json()) as { id: string }[]) listed.set(key.id, key);
        const link = /<([^>]+)>; rel="next"; results="true"/.exec(res.headers.get('link') ?? '');
        next = link ? link[1]!.replace('http://testserver', second.url) : undefined;
      }
      expect(acknowledged.length).toBeGreaterThanOrEqual(100);
      for (const key of acknowledged) expect(listed.get(key.id as string)).toEqual(key);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  it('finishes in-flight requests on SIGTERM, then exits cleanly', async () => {
    const server = await serve(t.dir, t.env);
    const url = new URL(`${server.url}${keys}`);
    const body = JSON.stringify({ name: 'in flight' });
    // Send the headers and half the body, signal, then the rest: the request must still complete.
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...headers(), 'content-length': Buffer.byteLength(body) } },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 5));
      setTimeout(() => {
        server.child.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(5)), 300);
      }, 200);
    });
    const result = await response;
    expect(result.status).toBe(201);
    expect(JSON.parse(result.body)).toMatchObject({ name: 'in flight' });
    expect(await server.exited).toBe(0);
  });
});
