/**
 * The web page's two cookies. The session cookie is HttpOnly: no script can read it. The CSRF
 * cookie is readable by the page's own script, which copies it into `X-CSRFToken` (Django's and
 * Sentry's double submit); a request from another site cannot read it, so it cannot send it. Both
 * are SameSite=Lax and, over HTTPS, `Secure` with the `__Host-` prefix (Path=/, no Domain), which
 * keeps a sibling subdomain from planting either of them.
 */
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionConfig } from '../config.ts';
import type { NewSession } from '../services/sessions.ts';

export class SessionCookies {
  readonly sessionName: string;
  readonly csrfName: string;

  constructor(private readonly config: Pick<SessionConfig, 'secureCookies'>) {
    const prefix = config.secureCookies ? '__Host-' : '';
    this.sessionName = `${prefix}clientkeys_session`;
    this.csrfName = `${prefix}clientkeys_csrf`;
  }

  sessionToken(request: FastifyRequest): string | undefined {
    return request.cookies[this.sessionName];
  }

  csrfToken(request: FastifyRequest): string | undefined {
    return request.cookies[this.csrfName];
  }

  private options(httpOnly: boolean, expires?: Date): CookieSerializeOptions {
    return { path: '/', sameSite: 'lax', secure: this.config.secureCookies, httpOnly, ...(expires ? { expires } : {}) };
  }

  /** After sign-in: the session, and its CSRF token for the page's script. */
  setSession(reply: FastifyReply, session: NewSession): void {
    reply.setCookie(this.sessionName, session.token, this.options(true, session.expiresAt));
    reply.setCookie(this.csrfName, session.csrfToken, this.options(false, session.expiresAt));
  }

  /** Before sign-in: a CSRF token for the sign-in form (a browser-session cookie). */
  setAnonymousCsrf(reply: FastifyReply, token: string): void {
    reply.setCookie(this.csrfName, token, this.options(false));
  }

  clear(reply: FastifyReply): void {
    reply.clearCookie(this.sessionName, this.options(true));
    reply.clearCookie(this.csrfName, this.options(false));
  }
}
