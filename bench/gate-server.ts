/**
 * A third reference for the ingest benchmark: clientkeys' real ingest gate (its services on the
 * bench's database) behind a bare node:http server instead of Fastify. It answers the envelope
 * endpoint only, with the headers clientkeys sends, and is not a server anyone should run: it
 * measures what the gate costs inside a server, apart from the framework. Prints its URL.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config.ts';
import { closeServices, createServices } from '../src/composition.ts';
import { INGEST_ENDPOINTS } from '../src/ingest/endpoints.ts';
import type { GateRequest, GateResult } from '../src/ingest/gate.ts';

const services = createServices(loadConfig({ DATABASE_URL: process.env.DATABASE_URL }));
await services.ingest.parts.keys.warm();
const envelope = INGEST_ENDPOINTS.find((endpoint) => endpoint.name === 'envelope')!;

/** `/api/<project_id>/envelope/?…` as the gate takes it. */
function gateRequest(request: IncomingMessage, body: Buffer): GateRequest {
  const url = request.url ?? '';
  const queryStart = url.indexOf('?');
  const projectId = url.slice('/api/'.length, url.indexOf('/', '/api/'.length));
  const header = (name: string) => request.headers[name] as string | undefined;
  return {
    endpoint: envelope,
    projectId,
    auth: { xSentryAuth: header('x-sentry-auth'), authorization: header('authorization'), query: queryStart < 0 ? '' : url.slice(queryStart + 1), pathKey: undefined },
    rawBody: body,
    contentEncoding: header('content-encoding'),
    contentType: header('content-type'),
    origin: header('origin'),
    referer: header('referer'),
    params: { project_id: projectId },
    forward: () => ({ url, method: 'POST', headers: {}, body }),
  };
}

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
    const result = services.ingest.gate.admit(gateRequest(request, Buffer.concat(chunks)));
    if (result instanceof Promise) void result.then((r) => answer(response, r));
    else answer(response, result);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => void closeServices(services).then(() => process.exit(0))));
