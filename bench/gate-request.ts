/**
 * An envelope request as the ingest gate takes it, from its URL (`/api/<project_id>/envelope/?…`),
 * body and headers: what routes/ingest-handler.ts builds from the request, for the bench's gate
 * references (gate-micro.ts, gate-server.ts), which call the gate without Fastify.
 */
import { INGEST_ENDPOINTS } from '../src/ingest/endpoints.ts';
import type { GateRequest } from '../src/ingest/gate.ts';

const envelope = INGEST_ENDPOINTS.find((endpoint) => endpoint.name === 'envelope')!;

export function envelopeGateRequest(url: string, body: Buffer, header: (name: string) => string | undefined = () => undefined): GateRequest {
  const queryStart = url.indexOf('?');
  const projectId = url.slice('/api/'.length, url.indexOf('/', '/api/'.length));
  return {
    endpoint: envelope,
    projectId,
    auth: { xSentryAuth: header('x-sentry-auth'), authorization: header('authorization'), query: queryStart < 0 ? '' : url.slice(queryStart + 1), pathKey: undefined },
    rawBody: body,
    contentEncoding: header('content-encoding'),
    contentType: header('content-type'),
    origin: header('origin'),
    referer: header('referer'),
    peer: '127.0.0.1',
    forwardedFor: header('x-forwarded-for'),
    params: { project_id: projectId },
    facts: () => ({ method: 'POST', path: url.split('?')[0]!, query: queryStart < 0 ? '' : url.slice(queryStart + 1), pathKey: undefined, headers: {}, peer: '127.0.0.1', rawBody: body }),
  };
}
