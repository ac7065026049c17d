/**
 * The one place errors become HTTP answers, in Sentry's shapes. Expected errors are ApiErrors from
 * the error table; Fastify's own (body too large, bad content type, bad URL) are mapped onto the
 * same table; anything else is a 500 with an id to find it in the log, never its message.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DrfErrors } from '../schemas/drf.ts';
import { isDatabaseUnavailable } from '../storage/errors.ts';
import { ApiError, apiError, validationError } from './errors.ts';
import { applySentryHeaders } from './sentry-headers.ts';

/** A request-schema failure carrying DRF's error dict (built by the validator compiler). */
export class RequestValidationError extends Error {
  readonly statusCode = 400;
  constructor(readonly drf: DrfErrors) {
    super('request validation failed');
  }
}

function fromFastify(error: FastifyError, request: FastifyRequest): ApiError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return apiError('payload_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return apiError('unsupported_media_type', String(request.headers['content-type'] ?? ''));
    default:
      break;
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return new ApiError('validation', status, { detail: error.message });
  return undefined;
}

function toApiError(error: unknown, request: FastifyRequest): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (isDatabaseUnavailable(error)) {
    const unavailable = apiError('unavailable');
    return new ApiError(unavailable.code, unavailable.status, unavailable.body, { 'retry-after': '1' });
  }
  if (error instanceof RequestValidationError) return validationError(error.drf);
  if (error && typeof error === 'object' && 'code' in error) return fromFastify(error as FastifyError, request);
  return undefined;
}

/** Errors Fastify raises before routing (a malformed URL, a bad header): same table, same shapes. */
export function frameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const known = fromFastify(error, request) ?? apiError('internal');
  void reply.code(known.status).send(known.body);
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (headers too large, garbage on the
 * wire): written straight to the socket, in the same shape as every other error.
 */
export function clientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const known =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? apiError('request_timeout')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? apiError('headers_too_large')
        : apiError('malformed_request');
  const body = JSON.stringify(known.body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${known.status} ${STATUS_CODES[known.status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler(async (error, request, reply) => {
    const known = toApiError(error, request);
    if (known) {
      if (known.status >= 500) request.log.error({ err: error }, known.message);
      reply.code(known.status).headers(known.headers);
      if (known.body === undefined) return reply.send();
      // A bare string body (Sentry's "Invalid origin: …") is still JSON on the wire.
      if (typeof known.body === 'string') {
        if (!reply.hasHeader('content-type')) reply.type('application/json');
        return reply.send(JSON.stringify(known.body));
      }
      return reply.send(known.body);
    }
    const errorId = randomUUID().replaceAll('-', '');
    request.log.error({ err: error, errorId }, 'unexpected error');
    return reply.code(500).send({ detail: 'Internal Error', errorId });
  });
  app.setNotFoundHandler(notFound);
}

/**
 * Sentry's CatchallEndpoint under /api/0/: a path without its trailing slash gets a hint, any other
 * unknown path an empty 404. Outside the API, a plain JSON 404.
 */
async function notFound(request: FastifyRequest, reply: FastifyReply) {
  const path = request.url.split('?')[0] ?? '';
  if (!path.startsWith('/api/0/')) return reply.code(404).send({ detail: 'Not found' });
  // Sentry's catch-all is a Django view too: its answers get the middleware's headers.
  applySentryHeaders(request, reply);
  if (path.endsWith('/')) return reply.code(404).type('text/html; charset=utf-8').send('');
  const hint = `${path}/`;
  if (String(request.headers['content-type'] ?? '').startsWith('application/json')) {
    return reply.code(404).send({ info: `Route not found, did you forget a trailing slash? try: ${hint}` });
  }
  const pointer = `${' '.repeat(`try: ${hint}`.length - 1)}^\n`;
  return reply
    .code(404)
    .type('text/plain')
    .send(`Route not found, did you forget a trailing slash?\n\ntry: ${hint}\n${pointer}`);
}
