/**
 * One security matrix for every route: each route is called with each kind of caller, and the
 * answer must be exactly Sentry's (status, body, challenge header) and must not carry data.
 * New routes join by being added to the route table of `security-matrix.test.ts`.
 */
import { expect } from 'vitest';
import type { Scope } from '../../src/domain/scopes.ts';
import { request, type Harness } from './harness.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteCase {
  name: string;
  method: Method;
  /** A path to an existing resource of the victim organization. */
  path: () => string;
  body?: () => unknown;
  /** The scopes of the route's scope map for this method (any one suffices). */
  scopes: readonly Scope[];
  /** What a member (org role "member", a token with every scope) gets. */
  member: 'allowed' | 'forbidden';
}

export interface Caller {
  name: string;
  headers: () => Record<string, string>;
  /** The expected answer, given the route. */
  expect: (route: RouteCase) => { status: number; body?: unknown; challenge?: RegExp | 'absent' };
}

const NOT_PROVIDED = { detail: 'Authentication credentials were not provided.' };
const FORBIDDEN = { detail: 'You do not have permission to perform this action.' };

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
export const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });

export function failure(status: number, detail: string, challenge: RegExp | 'absent' = /^Bearer realm="api"$/) {
  return { status, body: { detail }, challenge };
}

export const CALLERS = {
  anonymous: (): Caller => ({
    name: 'no credentials',
    headers: () => ({}),
    expect: () => ({ status: 401, body: NOT_PROVIDED, challenge: /^Bearer realm="api"$/ }),
  }),
  malformed: (): Caller => ({
    name: 'malformed Bearer header',
    headers: () => ({ authorization: 'Bearer two parts' }),
    expect: () => failure(401, 'Invalid token header. Token string should not contain spaces.'),
  }),
  emptyBearer: (): Caller => ({
    name: 'Bearer without a token',
    headers: () => ({ authorization: 'Bearer' }),
    expect: () => failure(401, 'Invalid token header. No credentials provided.'),
  }),
  badBase64: (): Caller => ({
    name: 'Basic that is not base64',
    headers: () => ({ authorization: 'Basic %%%' }),
    expect: () => failure(401, 'Invalid basic header. Credentials not correctly base64 encoded.'),
  }),
  fixed: (name: string, headers: Record<string, string>, status: number, detail: string): Caller => ({
    name,
    headers: () => headers,
    expect: () => failure(status, detail, status === 401 ? /^Bearer realm="api"$/ : 'absent'),
  }),
  /** A credential whose scopes miss the route's: 403 with the RFC 6750 challenge naming them. */
  withoutScope: (name: string, headers: () => Record<string, string>): Caller => ({
    name,
    headers,
    expect: (route) => ({
      status: 403,
      body: FORBIDDEN,
      challenge: new RegExp(`^Bearer error="insufficient_scope", scope="${[...route.scopes].sort().join(' ')}"$`),
    }),
  }),
  /** Holds the scopes but not the membership: a plain 403, no challenge. */
  foreign: (name: string, headers: () => Record<string, string>): Caller => ({
    name,
    headers,
    expect: () => ({ status: 403, body: FORBIDDEN, challenge: 'absent' }),
  }),
  member: (headers: () => Record<string, string>, name = 'member role'): Caller => ({
    name,
    headers,
    expect: (route) => (route.member === 'allowed' ? { status: 200 } : { status: 403, body: FORBIDDEN, challenge: 'absent' }),
  }),
  /**
   * A signed-in browser of someone allowed everywhere, with a wrong or no CSRF token: reads pass,
   * every unsafe method is refused before any permission check (DRF's SessionAuthentication).
   */
  sessionCsrf: (name: string, headers: () => Record<string, string>, detail: string): Caller => ({
    name,
    headers,
    expect: (route) => (route.method === 'GET' ? { status: 200 } : { status: 403, body: { detail }, challenge: 'absent' }),
  }),
};

/** Values of the victim organization that must never appear in an answer to someone else. */
export interface Secrets {
  values: () => string[];
}

export async function runMatrix(h: Harness, routes: RouteCase[], callers: Caller[], secrets: Secrets): Promise<void> {
  for (const route of routes) {
    for (const caller of callers) {
      const expected = caller.expect(route);
      const body = route.body?.();
      const res = await request(h, route.method, route.path(), {
        headers: caller.headers(),
        ...(body === undefined ? {} : { body }),
      });
      const label = `${route.name} × ${caller.name}`;
      if (expected.status === 200) {
        expect(res.status, label).toBeLessThan(300);
        continue;
      }
      expect({ label, status: res.status, body: res.body }).toEqual({ label, status: expected.status, body: expected.body });
      const challenge = res.headers.get('www-authenticate');
      if (expected.challenge === 'absent') expect(challenge, label).toBeNull();
      else if (expected.challenge) expect(challenge, label).toMatch(expected.challenge);
      for (const secret of secrets.values()) expect(res.text, `${label} leaks ${secret}`).not.toContain(secret);
    }
  }
}
