/**
 * The baseline of the ingest benchmark: a bare node:http server that reads the whole body and
 * answers what clientkeys answers to an accepted envelope, `{"id":"<event id>"}`. With
 * BENCH_BODY_FILE it answers that file's bytes instead: the keys-list benchmark's ceiling, what
 * sending a page's bytes costs on this machine before any work. With BENCH_WORK_US it first
 * spins that many microseconds per request: what a little work costs here (bench/calibrate.ts).
 * Prints its URL.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

// The file's bytes as they are, encoded once: what sending them costs and nothing else.
const body = process.env.BENCH_BODY_FILE
  ? readFileSync(process.env.BENCH_BODY_FILE)
  : JSON.stringify({ id: process.env.BENCH_EVENT_ID ?? '0'.repeat(32) });

const workMs = Number(process.env.BENCH_WORK_US ?? 0) / 1000;

/** A stand-in for a request's work: the CPU busy for that long, nothing else touched. */
function work(): void {
  const until = performance.now() + workMs;
  while (performance.now() < until);
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    Buffer.concat(chunks);
    if (workMs > 0) work();
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
