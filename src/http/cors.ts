/**
 * The headers Sentry's `apply_cors_headers` puts on every API answer (S:src/sentry/api/base.py).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

const ALLOW_HEADERS =
  'X-Sentry-Auth, X-Requested-With, Origin, Accept, Content-Type, Authentication, Authorization, Content-Encoding, sentry-trace, baggage, X-CSRFToken';
const EXPOSE_HEADERS = 'X-Sentry-Error, X-Sentry-Direct-Hit, X-Hits, X-Max-Hits, Endpoint, Retry-After, Link';

/** `origin_from_request`: the Origin, else the Referer's scheme and host, else "*". */
function allowedOrigin(request: FastifyRequest): string {
  const origin = request.headers.origin;
  if (origin === 'null') return '*';
  if (origin) return origin;
  const referer = request.headers.referer;
  if (referer) {
    try {
      const url = new URL(referer);
      if (url.host) return `${url.protocol}//${url.host}`;
    } catch {
      // An unparsable Referer says nothing about the origin.
    }
  }
  return '*';
}

export function applyCorsHeaders(request: FastifyRequest, reply: FastifyReply): void {
  const allow = request.routeOptions.config.allow;
  if (!allow) return;
  // A 429 names only the request's own method (Sentry's ratelimit middleware); keep what it set.
  if (!reply.hasHeader('allow')) {
    reply.header('allow', allow);
    reply.header('access-control-allow-methods', allow);
  }
  reply.header('access-control-allow-headers', ALLOW_HEADERS);
  reply.header('access-control-expose-headers', EXPOSE_HEADERS);
  reply.header('access-control-allow-origin', allowedOrigin(request));
}
