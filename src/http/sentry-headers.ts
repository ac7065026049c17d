/**
 * The headers Django's middleware puts on every answer of Sentry's API, whatever the endpoint:
 * SecurityHeadersMiddleware (S:src/sentry/middleware/security.py) adds X-Frame-Options,
 * X-Content-Type-Options and X-XSS-Protection unless the response set them; LocaleMiddleware
 * adds Content-Language and `Vary: Accept-Language`; SessionMiddleware adds `Vary: Cookie` when
 * the session was read (a signed-in browser's request).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

const SECURITY = {
  'x-frame-options': 'deny',
  'x-content-type-options': 'nosniff',
  'x-xss-protection': '1; mode=block',
} as const;

function addVary(reply: FastifyReply, value: string): void {
  const current = reply.getHeader('vary');
  const existing = current === undefined ? [] : String(current).split(',').map((v) => v.trim()).filter(Boolean);
  if (existing.some((v) => v.toLowerCase() === value.toLowerCase() || v === '*')) return;
  reply.header('vary', [...existing, value].join(', '));
}

export function applySentryHeaders(request: FastifyRequest, reply: FastifyReply): void {
  for (const [name, value] of Object.entries(SECURITY)) if (!reply.hasHeader(name)) reply.header(name, value);
  if (!reply.hasHeader('content-language')) reply.header('content-language', 'en');
  addVary(reply, 'Accept-Language');
  if (request.principal?.kind === 'session') addVary(reply, 'Cookie');
}
