/**
 * CSRF checks for requests a signed-in browser makes, as Django's CsrfViewMiddleware does them for
 * Sentry: on unsafe methods, an Origin header (when sent) must be this server's, then the request
 * must carry the CSRF token (`X-CSRFToken`, or the sign-in form's field). Reasons are Django's.
 */
import type { FastifyRequest } from 'fastify';
import { apiError, type ApiError } from './errors.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

export function isUnsafeMethod(method: string): boolean {
  return !SAFE_METHODS.has(method);
}

export const CSRF_HEADER = 'x-csrftoken';

export function csrfHeader(request: FastifyRequest): string | undefined {
  const value = request.headers[CSRF_HEADER];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Whether the request's Origin, if any, is this server: PUBLIC_URL's origin, or the host the
 * request was sent to (a browser on the listening address, before a proxy is set up).
 */
export function originTrusted(request: FastifyRequest, publicUrl: string): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.origin === 'null') return false;
  return url.origin === new URL(publicUrl).origin || url.host === request.headers.host;
}

export function badOrigin(request: FastifyRequest): ApiError {
  return apiError('csrf_failed', `Origin checking failed - ${String(request.headers.origin)} does not match any trusted origins.`);
}

export function tokenMissing(): ApiError {
  return apiError('csrf_failed', 'CSRF token missing.');
}

export function tokenIncorrect(): ApiError {
  return apiError('csrf_failed', 'CSRF token incorrect.');
}
