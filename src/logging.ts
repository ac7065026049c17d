/**
 * Structured JSON logs (pino). One line per request with its id, the route pattern, the status
 * and the duration. Credentials never reach a log line: the headers that carry them are redacted,
 * bodies are not logged, and the query string (where Sentry's clients may put a key) is left out.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { Config } from './config.ts';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-sentry-auth"]',
  'req.headers.cookie',
  'req.headers["x-csrftoken"]',
  'res.headers["set-cookie"]',
];

export function loggerOptions(config: Config): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
}

/** An id a proxy or load balancer already gave the request is kept, so its logs and ours line up. */
const INCOMING_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestId(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();
}

/** Probes arrive every few seconds from every load balancer: logged only when they fail, or at debug. */
const PROBES = new Set(['/healthz', '/readyz']);

/**
 * Fastify's two lines per request ("incoming request", "request completed") become one, written
 * when the answer is sent: method, route pattern, path without its query, status, duration.
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const route = request.routeOptions.url ?? null;
    const entry = {
      method: request.method,
      route,
      path: request.url.split('?', 1)[0],
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (error) request.log.error({ ...entry, err: error }, 'request errored');
    else if (route !== null && PROBES.has(route) && reply.statusCode < 400) request.log.debug(entry, 'request completed');
    else request.log.info(entry, 'request completed');
  }
}

/** Every answer carries its request id (X-Request-Id), for a user to quote and an operator to find. */
export function echoRequestId(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
}
