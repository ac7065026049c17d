/**
 * Signing in and out of the web page: `/auth/login/` (Sentry's URL) shows the form and checks
 * it, `/auth/logout/` ends the session. The form is protected against login CSRF by a token in a
 * cookie that the form repeats (and by the Origin check); sign-out needs the session's own token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { generateSessionToken, SESSION_TOKEN_PATTERN } from '../domain/tokens.ts';
import { badOrigin, csrfHeader, originTrusted, tokenIncorrect, tokenMissing } from '../http/csrf.ts';
import { apiError, type ApiError } from '../http/errors.ts';
import { ERRORS } from '../schemas/errors.ts';
import type { SessionCookies } from '../http/session-cookies.ts';
import type { Services } from '../services/index.ts';
import { basePath, safeNextPath } from '../web/paths.ts';
import { signInPage } from '../web/templates.ts';

/**
 * The sign-in form's fields, read leniently: a field that is missing, not a string or too long is
 * empty (and the sign-in then fails as any wrong one does), so one bad field never hides another's
 * error, and no huge password is ever hashed.
 */
const field = (max: number) =>
  z
    .unknown()
    .transform((v) => (typeof v === 'string' && v.length <= max ? v : ''))
    .optional()
    .transform((v) => v ?? '');

const signInForm = z.object({
  email: field(254),
  password: field(4096),
  csrf: field(100),
  next: field(4096),
});

const loginQuery = z.object({ next: z.string().optional() });

export interface WebOptions {
  services: Services;
  config: Config;
  cookies: SessionCookies;
}

function sameToken(a: string, b: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function detailOf(error: ApiError): string {
  return String((error.body as { detail?: unknown }).detail);
}

export async function signInRoutes(app: FastifyInstance, { services, config, cookies }: WebOptions) {
  const base = basePath(config.publicUrl);

  /** The form, with a CSRF token in a cookie and in a hidden field (the cookie's, if it has a good one). */
  const renderForm = (request: FastifyRequest, reply: FastifyReply, status: number, view: { next: string; email?: string; error?: string }) => {
    const existing = cookies.csrfToken(request);
    const csrfToken = existing && SESSION_TOKEN_PATTERN.test(existing) ? existing : generateSessionToken();
    cookies.setAnonymousCsrf(reply, csrfToken);
    return reply.code(status).type('text/html; charset=utf-8').send(signInPage({ base, csrfToken, ...view }));
  };

  /** Django's checks for the sign-in form: a trusted Origin, then the cookie's token repeated in the form. */
  const formCsrfError = (request: FastifyRequest, field: string | undefined): ApiError | undefined => {
    if (!originTrusted(request, config.publicUrl)) return badOrigin(request);
    const cookie = cookies.csrfToken(request);
    if (!cookie) return apiError('csrf_failed', 'CSRF cookie not set.');
    if (!field) return tokenMissing();
    if (!sameToken(cookie, field)) return tokenIncorrect();
    return undefined;
  };

  app.get('/auth/login/', { schema: { hide: true } }, async (request, reply) => {
    const query = loginQuery.safeParse(request.query);
    const next = safeNextPath(query.success ? query.data.next : undefined, base);
    if (await services.sessions.resolve(cookies.sessionToken(request))) return reply.redirect(next, 302);
    return renderForm(request, reply, 200, { next });
  });

  app.post('/auth/login/', { schema: { hide: true } }, async (request, reply) => {
    // A form is a dict of strings; anything else (a JSON list, a number) is an empty form.
    const parsed = signInForm.safeParse(request.body);
    const form = parsed.success ? parsed.data : signInForm.parse({});
    const next = safeNextPath(form.next, base);
    const csrfError = formCsrfError(request, form.csrf || undefined);
    if (csrfError) return renderForm(request, reply, csrfError.status, { next, email: form.email, error: detailOf(csrfError) });

    const result = await services.sessions.signIn(form.email, form.password, request.ip);
    if (!result.ok) {
      if (result.reason === 'throttled') {
        reply.header('retry-after', String(result.retryAfterSeconds));
        return renderForm(request, reply, ERRORS.signin_throttled.status, { next, email: form.email, error: ERRORS.signin_throttled.detail });
      }
      return renderForm(request, reply, ERRORS.signin_failed.status, { next, email: form.email, error: ERRORS.signin_failed.detail });
    }
    // Every sign-in gets a new session (no fixation); one this browser already had ends.
    const previous = await services.sessions.resolve(cookies.sessionToken(request));
    if (previous) await services.sessions.signOut(previous);
    cookies.setSession(reply, result.session);
    return reply.redirect(next, 303);
  });

  app.post('/auth/logout/', { schema: { hide: true } }, async (request, reply) => {
    const session = await services.sessions.resolve(cookies.sessionToken(request));
    if (session) {
      if (!originTrusted(request, config.publicUrl)) throw badOrigin(request);
      const field = (request.body as { csrf?: unknown } | undefined)?.csrf;
      const token = csrfHeader(request) ?? (typeof field === 'string' && field !== '' ? field : undefined);
      if (!token) throw tokenMissing();
      if (!services.sessions.csrfMatches(session, token)) throw tokenIncorrect();
      await services.sessions.signOut(session);
    }
    cookies.clear(reply);
    return reply.redirect(`${base}/auth/login/`, 303);
  });
}
