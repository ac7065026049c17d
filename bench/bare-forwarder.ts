/**
 * The gateway benchmark's floor (issue 16): bare-server.ts's answer, and then the body sent on to
 * BENCH_UPSTREAM_URL as it came, the way clientkeys' delivery sends it (undici, kept-alive
 * connections, 16 at most, as DELIVERY_CONCURRENCY's default; what waits for a connection waits
 * in undici's queue). Nothing of clientkeys: no key check, no translation, no queue on disk, no
 * retry. What one upstream request per event costs on this machine before any of the work a
 * gateway must do. `GET /pending` answers how many sends have not ended (the bench waits for 0);
 * a send that fails or answers other than 2xx is counted in `failed` there. Prints its URL.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const upstream = new URL(process.env.BENCH_UPSTREAM_URL ?? '');
const pool = new Pool(upstream.origin, { connections: 16, keepAliveTimeout: 10_000 });
const path = `${upstream.pathname}${upstream.search}`;
const answer = JSON.stringify({ id: '0'.repeat(32) });
let pending = 0;
let failed = 0;

function forward(body: Buffer): void {
  pending += 1;
  pool
    .request({ method: 'POST', path, body, headers: { 'content-type': 'application/x-sentry-envelope' } })
    .then(async (response) => {
      if (response.statusCode < 200 || response.statusCode > 299) failed += 1;
      await response.body.dump();
    })
    .catch(() => {
      failed += 1;
    })
    .finally(() => {
      pending -= 1;
    });
}

const server = createServer((request, response) => {
  if (request.method === 'GET') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ pending, failed }));
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks);
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(answer) });
    response.end(answer);
    forward(body);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => void pool.close().then(() => process.exit(0))));
