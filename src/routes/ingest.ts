/**
 * The DSN endpoints (`/api/{project_id}/envelope/`, `/store/`, …) in their own plugin: any content
 * type read as raw bytes (what `@sentry/node` sends has none), Relay's CORS, Relay's error shape.
 * Everything else is the gate's (src/ingest/gate.ts): this module only translates HTTP to it and
 * its answers back.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { INGEST_ENDPOINTS, type IngestEndpoint } from '../ingest/endpoints.ts';
import { INGEST_ERRORS, ingestErrorBody, ingestFailure, type IngestFailure } from '../ingest/errors.ts';
import type { RequestFacts } from '../gateway/gateway.ts';
import type { Cleared, GateMeta, GateResult } from '../ingest/gate.ts';
import type { Services } from '../services/index.ts';
import { contentEncodings, decodeBody } from '../ingest/body.ts';
import { envelopeHeader } from '../domain/envelope.ts';
import { tunnelHosts, tunnelTarget } from '../ingest/tunnel.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The DSN endpoint a route serves, for what is counted before the gate sees a request. */
    ingestEndpoint?: string;
  }
  interface FastifyRequest {
    /** What the gate decided before the body was read (see `preflight`). */
    ingestCleared: Cleared | undefined;
  }
}

/** relay-server middlewares/cors.rs. */
const CORS_ALLOW_HEADERS =
  'x-sentry-auth,x-requested-with,x-forwarded-for,origin,referer,accept,content-type,authentication,authorization,content-encoding,transfer-encoding';
const CORS_EXPOSE_HEADERS = 'x-sentry-error,x-sentry-rate-limits,retry-after';

/** `/api/{digits}/…` and the legacy `/api/store/`: the DSN endpoints, not the management API. */
export function isIngestUrl(url: string): boolean {
  if (!url.startsWith('/api/')) return false;
  // Asked twice per request by the log controller: a character test, not a regex.
  const c = url.charCodeAt(5);
  if (c >= 0x31 && c <= 0x39) return true;
  if (c === 0x30) return url.charCodeAt(6) !== 0x2f;
  return url.startsWith('/api/store');
}

/** Relay's CORS on every answer, set directly rather than by a hook: it is cheaper per request. */
function cors(reply: FastifyReply): FastifyReply {
  return reply.header('access-control-allow-origin', '*').header('access-control-expose-headers', CORS_EXPOSE_HEADERS);
}

/** The answer to a browser's preflight for an endpoint taking `methods`. */
const preflightAnswer = (methods: readonly string[]) => async (_request: unknown, reply: FastifyReply) =>
  cors(reply).code(200).header('access-control-allow-methods', methods.join(',')).header('access-control-allow-headers', CORS_ALLOW_HEADERS).header('access-control-max-age', '3600').send();

/** The one place an ingest refusal becomes an HTTP answer. */
export function renderIngestError(reply: FastifyReply, failure: IngestFailure): FastifyReply {
  const spec: { status: number; bodyless?: boolean } = INGEST_ERRORS[failure.code];
  cors(reply).code(spec.status);
  if (failure.headers) reply.headers(failure.headers);
  if (spec.bodyless) return reply.send();
  return reply.type('application/json').send(JSON.stringify(ingestErrorBody(failure)));
}

const hyphenated = (id: string) => `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** What delivery needs of the request, built only for one that is delivered. */
function factsOf(request: FastifyRequest, rawBody: Buffer): () => RequestFacts {
  return () => {
    const headers: Record<string, string | undefined> = {};
    for (const name of DELIVERY_HEADERS) headers[name] = header(request, name);
    // Parsed, never taken as it came: an absolute-form target (`POST http://elsewhere/api/1/store/`)
    // is routed by its path too, and only its path may reach a backend's URL.
    const url = new URL(request.url, 'http://clientkeys.invalid');
    return {
      method: request.method,
      path: url.pathname,
      query: url.search.slice(1),
      pathKey: (request.params as Record<string, string | undefined>).sentry_key,
      headers,
      peer: request.socket.remoteAddress ?? '',
      rawBody,
    };
  };
}

const DELIVERY_HEADERS = ['content-type', 'content-encoding', 'x-sentry-auth', 'authorization', 'user-agent', 'origin', 'referer', 'x-forwarded-for'] as const;

export async function ingestRoutes(app: FastifyInstance, { services, config }: { services: Services; config: Config }) {
  const gate = services.ingest.gate;

  // SDKs send envelopes chunked and without a content type; everything is bytes here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.ingest.maxBodyBytes }, (_request, body, done) => {
    done(null, body);
  });

  // What Fastify refuses before the gate sees the request (a body over the limit, a broken
  // stream) is answered in Relay's shape and counted like the gate's refusals.
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const endpoint = request.routeOptions.config.ingestEndpoint ?? 'unknown';
    const status = error.statusCode ?? 500;
    const failure =
      error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? ingestFailure('too_large')
        : status >= 400 && status < 500
          ? ingestFailure('invalid_body', { causes: [error.message] })
          : undefined;
    if (failure) {
      const key = request.ingestCleared?.key;
      if (key) gate.countRefusal(key, failure);
      return refuseBeforeGate(reply, failure, endpoint, key?.projectId);
    }
    request.log.error({ err: error }, 'ingest request failed');
    return cors(reply).code(500).type('application/json').send(JSON.stringify({ detail: 'internal server error' }));
  });

  /** A refusal made before the gate (which counts its own): counted in the metrics, answered in Relay's shape. */
  function refuseBeforeGate(reply: FastifyReply, failure: IngestFailure, endpoint: string, projectId: number | undefined): FastifyReply {
    services.ingest.parts.metrics.request('refused', INGEST_ERRORS[failure.code].reason, endpoint, projectId);
    return renderIngestError(reply, failure);
  }

  gate.onError = (message, error) => app.log.error({ err: error }, message);
  app.decorateRequest('ingestCleared', undefined);

  // One logger for every ingest request instead of a child per request (what Fastify does by
  // default, and a measurable part of an event's cost), at warn or quieter: at ingest volumes the
  // metrics count requests, the log keeps what went wrong.
  const quieter = ['error', 'fatal', 'silent'].includes(app.log.level);
  const ingestLog = app.log.child({ component: 'ingest' }, { level: quieter ? app.log.level : 'warn' });
  const childLoggerFactory = () => ingestLog;

  for (const endpoint of INGEST_ENDPOINTS) {
    for (const url of endpoint.paths) {
      app.route({
        method: [...endpoint.methods],
        url,
        schema: { hide: true },
        config: { ingestEndpoint: endpoint.name },
        childLoggerFactory,
        onRequest: preflight(endpoint),
        handler: handle(endpoint),
      });
      app.route({
        method: 'OPTIONS',
        url,
        schema: { hide: true },
        childLoggerFactory,
        handler: preflightAnswer(endpoint.methods),
      });
    }
  }

  if (config.ingest.tunnelPath) tunnelRoute(config.ingest.tunnelPath);

  /**
   * TUNNEL_PATH: envelopes as `@sentry/browser`'s `tunnel` option posts them, with no credential
   * but the envelope header's `dsn`. Only a DSN of this server is taken (ingest/tunnel.ts); then it
   * is an envelope request to that project like any other, through the same gate and delivery.
   */
  function tunnelRoute(path: string) {
    const envelope = INGEST_ENDPOINTS.find((e) => e.name === 'envelope') as IngestEndpoint;
    const tunnel: IngestEndpoint = { ...envelope, name: 'tunnel', paths: [path] };
    const own = tunnelHosts(config.ingestUrl, config.publicUrl, config.ingestOrgSubdomains);
    const refuse = (reply: FastifyReply, failure: IngestFailure) => refuseBeforeGate(reply, failure, tunnel.name, undefined);
    const opts = { schema: { hide: true }, config: { ingestEndpoint: tunnel.name }, childLoggerFactory };
    app.post(path, opts, async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const encodings = contentEncodings(header(request, 'content-encoding'));
      if (!encodings.ok) return refuse(reply, encodings);
      const decoded = await decodeBody(raw, encodings.layers, config.ingest.maxBodyBytes);
      if (!decoded.ok) return refuse(reply, decoded);
      const target = tunnelTarget(envelopeHeader(decoded.body), own);
      if (!target.ok) return refuse(reply, target);
      const body = decoded.body;
      const facts = factsOf(request, body);
      const result = await gate.admitWhole({
        ...meta(tunnel, request),
        projectId: target.projectId,
        auth: { xSentryAuth: undefined, authorization: undefined, query: '', pathKey: undefined },
        contentEncoding: undefined,
        rawBody: body,
        contentType: header(request, 'content-type'),
        params: { project_id: target.projectId },
        // Delivered as what it is: an envelope of that project, already decoded.
        facts: () => {
          const f = facts();
          return { ...f, path: `/api/${target.projectId}/envelope/`, query: '', headers: { ...f.headers, 'content-encoding': undefined } };
        },
      });
      return respond(tunnel, reply, result);
    });
    app.options(path, { schema: { hide: true }, childLoggerFactory }, preflightAnswer(tunnel.methods));
  }

  function respond(endpoint: IngestEndpoint, reply: FastifyReply, result: GateResult): FastifyReply {
    if (!result.ok) return renderIngestError(reply, result);
    cors(reply);
    if (result.headers) reply.headers(result.headers);
    const eventId = result.read.eventId;
    switch (endpoint.success) {
      case 'id':
        return reply.type('application/json').send(eventId ? `{"id":"${eventId}"}` : '{}');
      case 'text-id':
        return reply.type('text/plain; charset=utf-8').send(hyphenated(eventId ?? '0'.repeat(32)));
      case 'empty':
        return reply.code(200).send();
      case 'accepted':
        return reply.code(202).send();
      case 'created':
        return reply.code(201).send();
    }
  }

  function meta(endpoint: IngestEndpoint, request: FastifyRequest): GateMeta {
    const params = request.params as Record<string, string | undefined>;
    const queryStart = request.url.indexOf('?');
    return {
      endpoint,
      projectId: params.project_id,
      auth: {
        xSentryAuth: header(request, 'x-sentry-auth'),
        authorization: header(request, 'authorization'),
        query: queryStart < 0 ? '' : request.url.slice(queryStart + 1),
        pathKey: params.sentry_key,
      },
      contentEncoding: header(request, 'content-encoding'),
      origin: header(request, 'origin'),
      referer: header(request, 'referer'),
      peer: request.socket.remoteAddress ?? '',
      forwardedFor: header(request, 'x-forwarded-for'),
    };
  }

  /**
   * The key is checked before the body is read: a request refused here is answered at once and its
   * body discarded unparsed (drained by the lingering close, http/linger.ts, so the answer reaches it).
   */
  function preflight(endpoint: IngestEndpoint) {
    return (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const decided = (result: Cleared | IngestFailure) => {
        if (result.ok) {
          request.ingestCleared = result;
          done();
        } else {
          renderIngestError(reply, result);
        }
      };
      const result = gate.preflight(meta(endpoint, request));
      if (result instanceof Promise) result.then(decided, (error: unknown) => reply.send(error));
      else decided(result);
    };
  }

  function handle(endpoint: IngestEndpoint) {
    // Not an async function: when the gate answers at once, so does the handler, without a promise.
    return (request: FastifyRequest, reply: FastifyReply) => {
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const gateRequest = {
        ...meta(endpoint, request),
        rawBody,
        contentType: header(request, 'content-type'),
        params: request.params as Record<string, string | undefined>,
        facts: factsOf(request, rawBody),
      };
      const result = gate.admit(gateRequest, request.ingestCleared as Cleared);
      return result instanceof Promise ? result.then((r) => respond(endpoint, reply, r)) : respond(endpoint, reply, result);
    };
  }
}
