/**
 * One URL, several methods, the way Django views answer: the methods the resource implements,
 * OPTIONS for CORS preflight, 405 for the rest, and the same `Allow` header on every answer.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods, RouteShorthandOptions } from 'fastify';
import { apiError } from './errors.ts';

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
  const others = (['POST', 'PUT', 'PATCH', 'DELETE'] as HTTPMethods[]).filter((m) => !methods.includes(m as Method));
  if (others.length > 0) {
    app.route({
      method: others,
      url,
      config: { allow },
      schema: { hide: true },
      handler: async (request) => {
        throw apiError('method_not_allowed', request.method);
      },
    });
  }
}
