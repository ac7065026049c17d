/**
 * One URL, several methods, the way Django views answer: the methods the resource implements,
 * OPTIONS for CORS preflight, 405 for the rest, and the same `Allow` header on every answer.
 * As in Sentry's `Endpoint.dispatch`, authentication and the scope check run before the handler
 * is looked up: a 405 is only for a caller the resource's scope map admits.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, HTTPMethods, RouteShorthandOptions } from 'fastify';
import { errorResponses, type ErrorCode } from '../schemas/errors.ts';
import { apiError } from './errors.ts';
import { guardErrorsOf, requireScope, scopeMapOf } from './guards.ts';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Django's `http_method_names` order, which `Allow` follows. */
const DJANGO_ORDER = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

export interface MethodRoute {
  options: RouteShorthandOptions;
  /**
   * The errors only this handler answers (a 409, a parameter of its own). Those of its guards, its
   * paging, its body and the server's (429, 503) are derived: see `documentedErrors`.
   */
  errors?: readonly ErrorCode[];
  // Method syntax on purpose: a handler typed for its route's params/body/query fits here.
  handler(request: FastifyRequest, reply: FastifyReply): unknown;
}

export function allowHeader(methods: readonly string[]): string {
  const all = new Set<string>(methods);
  if (all.has('GET')) all.add('HEAD');
  all.add('OPTIONS');
  return DJANGO_ORDER.filter((m) => all.has(m)).join(', ');
}

/** What any API request can meet: the caller's rate limit, and a database that does not answer. */
const SERVER_ERRORS: readonly ErrorCode[] = ['rate_limited', 'unavailable'];
/** What reading a body can answer (src/http/body.ts, the body limit, the schema). */
const BODY_ERRORS: readonly ErrorCode[] = ['validation', 'json_parse_error', 'multipart_parse_error', 'unsupported_media_type', 'payload_too_large'];
/** What reading `cursor` and `per_page` can answer (src/http/pagination.ts). */
const PAGE_ERRORS: readonly ErrorCode[] = ['invalid_cursor', 'invalid_per_page', 'per_page_out_of_range'];

function queryNames(schema: FastifySchema | undefined): string[] {
  const shape = (schema?.querystring as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

/**
 * Every error a method can answer, derived from what it uses — its guards, a paged query, a body —
 * plus the server's and its own: so the OpenAPI document cannot forget one a route gained.
 */
function documentedErrors(route: MethodRoute): ErrorCode[] {
  const schema = route.options.schema;
  const query = queryNames(schema);
  return [
    ...new Set<ErrorCode>([
      ...guardErrorsOf(route.options.onRequest),
      ...(query.includes('cursor') || query.includes('per_page') ? PAGE_ERRORS : []),
      ...(schema?.body ? BODY_ERRORS : []),
      ...(route.errors ?? []),
      ...SERVER_ERRORS,
    ]),
  ];
}

function withErrorResponses(route: MethodRoute): RouteShorthandOptions {
  const schema = route.options.schema;
  if (!schema || schema.hide) return route.options;
  const response = { ...errorResponses(...documentedErrors(route)), ...(schema.response as object | undefined) };
  return { ...route.options, schema: { ...schema, response } };
}

export function resource(app: FastifyInstance, url: string, routes: Partial<Record<Method, MethodRoute>>): void {
  const methods = Object.keys(routes) as Method[];
  const allow = allowHeader(methods);
  for (const method of methods) {
    const route = routes[method]!;
    app.route({
      ...withErrorResponses(route),
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
