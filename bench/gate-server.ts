/**
 * A third reference for the ingest benchmark: clientkeys' real ingest gate (its services on the
 * bench's database) behind a bare node:http server instead of Fastify. It answers the envelope
 * endpoint only, with the headers clientkeys sends, and is not a server anyone should run: it
 * measures what the gate costs inside a server, apart from the framework. Prints its URL.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config.ts';
import { closeServices, createServices } from '../src/composition.ts';
import type { GateResult } from '../src/ingest/gate.ts';
import { envelopeGateRequest } from './gate-request.ts';

const services = createServices(loadConfig({ DATABASE_URL: process.env.DATABASE_URL }));
await services.ingest.parts.keys.warm();

function answer(response: ServerResponse, result: GateResult): void {
  const body = result.ok ? `{"id":"${result.read.eventId}"}` : JSON.stringify({ detail: result.code });
  response.writeHead(result.ok ? 200 : 400, {
    'x-request-id': randomUUID(),
    'access-control-allow-origin': '*',
    'access-control-expose-headers': 'x-sentry-error,x-sentry-rate-limits,retry-after',
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    // As in clientkeys: no promise when the gate decides at once.
    const result = services.ingest.gate.admitWhole(
      envelopeGateRequest(request.url ?? '', Buffer.concat(chunks), (name) => request.headers[name] as string | undefined),
    );
    if (result instanceof Promise) void result.then((r) => answer(response, r));
    else answer(response, result);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => void closeServices(services).then(() => process.exit(0))));
