/**
 * One URL, several methods, the way Django views answer: the methods the resource implements,
 * OPTIONS for CORS preflight, 405 for the rest, and the same `Allow` header on every answer.
 * As in Sentry's `Endpoint.dispatch`, authentication and the scope check run before the handler
 * is looked up: a 405 is only for a caller the resource's scope map admits.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods, RouteShorthandOptions } from 'fastify';
import { apiError } from './errors.ts';
import { requireScope, scopeMapOf } from './guards.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Django's `http_method_names` order, which `Allow` follows. */
const DJANGO_ORDER = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

export interface MethodRoute {
  options: RouteShorthandOptions;
  // Method syntax on purpose: a handler typed for its route's params/body/query fits here.
  handler(request: FastifyRequest, reply: FastifyReply): unknown;
}

export function allowHeader(methods: readonly string[]): string {
  const all = new Set<string>(methods);
  if (all.has('GET')) all.add('HEAD');
  all.add('OPTIONS');
  return DJANGO_ORDER.filter((m) => all.has(m)).join(', ');
}

export function resource(app: FastifyInstance, url: string, routes: Partial<Record<Method, MethodRoute>>): void {
  const methods = Object.keys(routes) as Method[];
  const allow = allowHeader(methods);
  for (const method of methods) {
    const route = routes[method]!;
    app.route({
      ...route.options,
      method,
      url,
      config: { ...(route.options.config as object | undefined), allow },
      handler: route.handler,
    } as Parameters<FastifyInstance['route']>[0]);
  }
  app.route({
    method: 'OPTIONS',
    url,
    config: { allow },
    schema: { hide: true },
    handler: async (_request, reply) => {
      reply.header('access-control-max-age', '3600');
      return reply.code(200).send('');
    },
  });
  // Every other verb the server parses (HEAD comes with GET); see registerHttpMethods.
  const others = app.supportedMethods.filter(
    (m) => m !== 'OPTIONS' && !(methods as string[]).includes(m) && !(m === 'HEAD' && methods.includes('GET')),
  ) as HTTPMethods[];
  const scopes = Object.values(routes)
    .map((route) => scopeMapOf(route.options.onRequest))
    .find((map) => map !== undefined);
  if (others.length > 0) {
    app.route({
      method: others,
      url,
      config: { allow },
      schema: { hide: true },
      handler: async (request) => {
        if (scopes) requireScope(request, scopes);
        throw apiError('method_not_allowed', request.method);
      },
    });
  }
}

/**
 * Node parses more verbs than Fastify routes by default (PROPFIND, LOCK…); Django routes them all
 * to the view, which answers 401/403/405. CONNECT is not a request Node hands to a server.
 */
export function registerHttpMethods(app: FastifyInstance, methods: readonly string[]): void {
  for (const method of methods) {
    if (method === 'CONNECT' || app.supportedMethods.includes(method)) continue;
    app.addHttpMethod(method, { hasBody: !['GET', 'HEAD', 'TRACE'].includes(method) });
  }
}
