/**
 * Headers on every answer of the web page: a Content-Security-Policy that runs only this
 * server's own script files (no inline script, no eval) and talks only to this server, no
 * framing (clickjacking), no MIME sniffing, no Referer to other sites, and HSTS over HTTPS.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function securityHeaders(options: { https: boolean }) {
  return async function onSend(_request: FastifyRequest, reply: FastifyReply, payload: unknown) {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-resource-policy', 'same-origin');
    reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    if (options.https) reply.header('strict-transport-security', 'max-age=31536000');
    // Pages carry a user's data and the sign-in form its token: never cached. Assets set their own.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  };
}
