/**
 * The management rate limit at the HTTP edge: after authentication (the limit is per caller),
 * before permissions, as Sentry's middleware runs; its headers on every answer it ran for, and
 * Sentry's 429 when over.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { callerKey, type ApiRateLimiter, type RateLimitGroup, type RateLimitVerdict } from '../services/api-rate-limit.ts';
import { ApiError } from './errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** An endpoint's own limits ("keys": API_RATE_LIMIT; "stats": 20/s), otherwise Sentry's default group. */
    rateLimitGroup?: RateLimitGroup;
  }
}

function headers(verdict: RateLimitVerdict): Record<string, string> {
  return {
    'x-sentry-rate-limit-remaining': String(verdict.remaining),
    'x-sentry-rate-limit-limit': String(verdict.limit),
    'x-sentry-rate-limit-reset': String(verdict.reset),
    'x-sentry-rate-limit-concurrentremaining': String(verdict.concurrentRemaining),
    'x-sentry-rate-limit-concurrentlimit': String(verdict.concurrentLimit),
  };
}

/** Sentry's DEFAULT_ERROR_MESSAGE, sent as a bare JSON string. */
export function tooManyRequests(verdict: RateLimitVerdict, method: string): ApiError {
  return new ApiError(
    'rate_limited',
    429,
    `You are attempting to use this endpoint too frequently. Limit is ${verdict.limit} requests in ${verdict.window} seconds`,
    { ...headers(verdict), 'content-type': 'text/html; charset=utf-8', allow: method, 'access-control-allow-methods': method },
  );
}

export async function enforceRateLimit(limiter: ApiRateLimiter, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!limiter.enabled || request.method === 'OPTIONS' || !request.routeOptions.url) return;
  const caller = callerKey(request.principal, request.ip);
  const endpoint = `${request.method === 'HEAD' ? 'GET' : request.method} ${request.routeOptions.url}`;
  const verdict = await limiter.check(caller, endpoint, request.routeOptions.config.rateLimitGroup ?? 'default');
  if (verdict.limited) throw tooManyRequests(verdict, request.method);
  reply.headers(headers(verdict));
  const finished = limiter.started(caller);
  reply.raw.once('close', finished);
}
