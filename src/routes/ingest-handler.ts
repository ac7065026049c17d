/**
 * The DSN endpoints (`/api/{project_id}/envelope/`, `/store/`, …) served on node:http itself. The
 * server's request listener hands DSN paths here before Fastify sees them (http/front-server.ts):
 * an event pays for the gate and the bytes, not for the framework's routing, hooks and reply
 * objects. What Fastify would otherwise add is kept: the request id, 503 while closing, the body
 * limit and its 413, Fastify's body errors, the lingering close, Relay's CORS and error shape. The
 * Fastify routes for the same paths (routes/ingest.ts) hand their raw request here too, so
 * `inject` and a request Fastify routes (an absolute-form target) take this same code.
 * Everything else is the gate's (src/ingest/gate.ts): this module only translates HTTP to it and
 * its answers back.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import { envelopeHeader } from '../domain/envelope.ts';
import type { RequestFacts } from '../gateway/gateway.ts';
import { contentEncodings, decodeBody } from '../ingest/body.ts';
import { INGEST_ENDPOINTS, type IngestEndpoint } from '../ingest/endpoints.ts';
import { INGEST_ERRORS, ingestErrorBody, ingestFailure, type IngestFailure } from '../ingest/errors.ts';
import type { Cleared, GateRequest, GateResult, IngestGate } from '../ingest/gate.ts';
import type { IngestMetrics } from '../ingest/metrics.ts';
import { tunnelHosts, tunnelTarget } from '../ingest/tunnel.ts';
import { lingerIfUnread } from '../http/linger.ts';
import { ROUTER_OPTIONS } from '../http/router-options.ts';
import { requestId } from '../logging.ts';

/** relay-server middlewares/cors.rs. */
const CORS_ALLOW_HEADERS =
  'x-sentry-auth,x-requested-with,x-forwarded-for,origin,referer,accept,content-type,authentication,authorization,content-encoding,transfer-encoding';
const NO_SEARCH_PARAMS = Object.freeze({});
const CORS_EXPOSE_HEADERS = 'x-sentry-error,x-sentry-rate-limits,retry-after';
const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const NO_BODY = Buffer.alloc(0);
/** Fastify's answer to a request that arrives while the server closes (`return503OnClosing`). */
const CLOSING_BODY = '{"error":"Service Unavailable","message":"Service Unavailable","statusCode":503}';
/** Fastify's messages for the body errors it answers itself (FST_ERR_CTP_*). */
const CONTENT_LENGTH_MISMATCH = 'Request body size did not match Content-Length';

/** What a DSN path leads to: an endpoint's requests, its CORS preflight, or the tunnel. */
export interface IngestTarget {
  endpoint: IngestEndpoint;
  kind: 'endpoint' | 'preflight' | 'tunnel';
}

export interface IngestRoute {
  target: IngestTarget;
  params: Record<string, string | undefined>;
}

/** `/api/{digits}/…` and the legacy `/api/store/`: the DSN endpoints, not the management API. */
export function isIngestUrl(url: string): boolean {
  if (!url.startsWith('/api/')) return false;
  // Asked for every request the server receives: a character test, not a regex.
  const c = url.charCodeAt(5);
  if (c >= 0x31 && c <= 0x39) return true;
  if (c === 0x30) return url.charCodeAt(6) !== 0x2f;
  return url.startsWith('/api/store');
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

const hyphenated = (id: string) => `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;

const DELIVERY_HEADERS = ['content-type', 'content-encoding', 'x-sentry-auth', 'authorization', 'user-agent', 'origin', 'referer', 'x-forwarded-for'] as const;

/** One request on its way through: what each step needs, without a closure per step. */
class Exchange {
  /** What the gate reads, built once with every field (the body set when it has arrived). */
  readonly request: GateRequest;
  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly route: IngestRoute,
    readonly id: string,
  ) {
    this.request = gateRequest(this);
  }

  get endpoint(): IngestEndpoint {
    return this.route.target.endpoint;
  }

  /** What delivery needs of the request, built only for one that is delivered. */
  facts(): RequestFacts {
    const headers: Record<string, string | undefined> = {};
    for (const name of DELIVERY_HEADERS) headers[name] = header(this.req.headers, name);
    // Parsed, never taken as it came: an absolute-form target (`POST http://elsewhere/api/1/store/`)
    // is routed by its path too, and only its path may reach a backend's URL.
    const url = new URL(this.req.url ?? '/', 'http://clientkeys.invalid');
    return {
      method: this.req.method ?? 'POST',
      path: url.pathname,
      query: url.search.slice(1),
      pathKey: this.route.params.sentry_key,
      headers,
      peer: this.req.socket.remoteAddress ?? '',
      rawBody: this.request.rawBody,
    };
  }
}

/** One object literal with every field, so that each request's has the same shape. */
function gateRequest(exchange: Exchange): GateRequest {
  const { req, route } = exchange;
  const url = req.url ?? '';
  const queryStart = url.indexOf('?');
  const headers = req.headers;
  return {
    endpoint: route.target.endpoint,
    projectId: route.params.project_id,
    auth: {
      xSentryAuth: header(headers, 'x-sentry-auth'),
      authorization: header(headers, 'authorization'),
      query: queryStart < 0 ? '' : url.slice(queryStart + 1),
      pathKey: route.params.sentry_key,
    },
    contentEncoding: header(headers, 'content-encoding'),
    origin: header(headers, 'origin'),
    referer: header(headers, 'referer'),
    peer: req.socket.remoteAddress ?? '',
    forwardedFor: header(headers, 'x-forwarded-for'),
    rawBody: NO_BODY,
    contentType: header(headers, 'content-type'),
    params: route.params,
    facts: () => exchange.facts(),
  };
}

/** A body read whole, up to a limit, with Fastify's answers for what goes wrong. */
function readBody(req: IncomingMessage, limit: number, done: (failure: IngestFailure | undefined, body: Buffer) => void): void {
  const contentLength = Number(req.headers['content-length']);
  if (contentLength > limit) return done(ingestFailure('too_large'), NO_BODY);
  const chunks: Buffer[] = [];
  let received = 0;
  const finish = (failure: IngestFailure | undefined, body: Buffer) => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onError);
    done(failure, body);
  };
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (received > limit) return finish(ingestFailure('too_large'), NO_BODY);
    chunks.push(chunk);
  };
  const onEnd = () => {
    if (!Number.isNaN(contentLength) && received !== contentLength) {
      return finish(ingestFailure('invalid_body', { causes: [CONTENT_LENGTH_MISMATCH] }), NO_BODY);
    }
    finish(undefined, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received));
  };
  const onError = (error: Error) => finish(ingestFailure('invalid_body', { causes: [error.message] }), NO_BODY);
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
}

/** A request whose framing says a body follows (for one that says not, `complete` may lag the headers). */
function announcesBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

export interface IngestHandlerOptions {
  gate: IngestGate;
  metrics: IngestMetrics;
  config: Config;
  log: FastifyBaseLogger;
}

export class IngestHandler {
  /** Set when the server starts closing: what still arrives is answered 503, as Fastify does. */
  closing = false;
  // Routed as Fastify routes; the query is the gate's to read (ingest/auth.ts), so the router's
  // own parse of it, on every request, is skipped.
  private readonly router = FindMyWay({ ...ROUTER_OPTIONS, querystringParser: () => NO_SEARCH_PARAMS });
  private readonly gate: IngestGate;
  private readonly maxBodyBytes: number;
  private readonly ownHosts: ReturnType<typeof tunnelHosts>;

  constructor(private readonly options: IngestHandlerOptions) {
    this.gate = options.gate;
    this.maxBodyBytes = options.config.ingest.maxBodyBytes;
    this.ownHosts = tunnelHosts(options.config.ingestUrl, options.config.publicUrl, options.config.ingestOrgSubdomains);
    for (const target of this.targets()) {
      const methods = target.kind === 'preflight' ? ['OPTIONS'] : target.endpoint.methods;
      for (const path of target.endpoint.paths) this.router.on(methods as HTTPMethod[], path, () => {}, target);
    }
    options.gate.onError = (message, error) => options.log.error({ err: error }, message);
  }

  /** Every path this handler answers, for Fastify to route to it as well (routes/ingest.ts). */
  targets(): IngestTarget[] {
    const targets: IngestTarget[] = [];
    for (const endpoint of INGEST_ENDPOINTS) targets.push({ endpoint, kind: 'endpoint' }, { endpoint, kind: 'preflight' });
    const tunnelPath = this.options.config.ingest.tunnelPath;
    if (tunnelPath) {
      // TUNNEL_PATH: envelopes as `@sentry/browser`'s `tunnel` option posts them (see `tunnel`).
      const envelope = INGEST_ENDPOINTS.find((e) => e.name === 'envelope') as IngestEndpoint;
      const endpoint: IngestEndpoint = { ...envelope, name: 'tunnel', paths: [tunnelPath] };
      targets.push({ endpoint, kind: 'tunnel' }, { endpoint, kind: 'preflight' });
    }
    return targets;
  }

  /** For the server's request listener: serves a DSN request and says so, or leaves it to Fastify. */
  take(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '';
    if (!isIngestUrl(url) && url !== this.options.config.ingest.tunnelPath) return false;
    const found = this.router.find(req.method as HTTPMethod, url);
    if (!found) return false;
    this.serve(req, res, { target: found.store as IngestTarget, params: found.params }, requestId(req));
    return true;
  }

  /** Serves a request already routed here (by `take`, or by Fastify under the request id it gave). */
  serve(req: IncomingMessage, res: ServerResponse, route: IngestRoute, id: string): void {
    if (this.closing) return answerClosing(res);
    const exchange = new Exchange(req, res, route, id);
    try {
      switch (route.target.kind) {
        case 'preflight':
          return this.preflightAnswer(exchange);
        case 'tunnel':
          return this.readThen(exchange, undefined, (body) => this.tunnel(exchange, body));
        case 'endpoint':
          return this.endpoint(exchange);
      }
    } catch (error) {
      this.failed(exchange, error);
    }
  }

  /**
   * The key is checked before the body is read: a request refused here is answered at once and its
   * body discarded unparsed (drained by the lingering close, http/linger.ts, so the answer reaches it).
   */
  private endpoint(exchange: Exchange): void {
    this.settle(exchange, this.gate.preflight(exchange.request), this.cleared);
  }

  /** `next` at once when the gate decided without waiting (no promise, no closure), else once it has. */
  private settle<T>(exchange: Exchange, decided: T | Promise<T>, next: (this: IngestHandler, exchange: Exchange, value: T) => void): void {
    if (decided instanceof Promise) {
      decided.then(
        (value) => next.call(this, exchange, value),
        (error: unknown) => this.failed(exchange, error),
      );
    } else {
      next.call(this, exchange, decided);
    }
  }

  private cleared(exchange: Exchange, cleared: Cleared | IngestFailure): void {
    if (!cleared.ok) return this.refuse(exchange, cleared);
    this.readThen(exchange, cleared, (body) => {
      exchange.request.rawBody = body;
      this.settle(exchange, this.gate.admit(exchange.request, cleared), this.answer);
    });
  }

  /**
   * The body, then `next`; a body over the limit or broken on the way is refused in Relay's shape
   * and counted like the gate's refusals (against the key, when the headers named one).
   */
  private readThen(exchange: Exchange, cleared: Cleared | undefined, next: (body: Buffer) => void): void {
    // As Fastify: no body read for GET and HEAD.
    const method = exchange.req.method;
    if (method === 'GET' || method === 'HEAD' || !announcesBody(exchange.req)) return next(NO_BODY);
    readBody(exchange.req, this.maxBodyBytes, (failure, body) => {
      if (!failure) {
        try {
          return next(body);
        } catch (error) {
          return this.failed(exchange, error);
        }
      }
      const key = cleared?.key;
      if (key) this.gate.countRefusal(key, failure);
      // As Fastify after a body error: the client may still be sending.
      this.refuseBeforeGate(exchange, failure, key?.projectId, true);
    });
  }

  /**
   * TUNNEL_PATH: no credential but the envelope header's `dsn`. Only a DSN of this server is taken
   * (ingest/tunnel.ts); then it is an envelope request to that project like any other, through the
   * same gate and delivery.
   */
  private async tunnel(exchange: Exchange, raw: Buffer): Promise<void> {
    try {
      const req = exchange.req;
      const encodings = contentEncodings(header(req.headers, 'content-encoding'));
      if (!encodings.ok) return this.refuseBeforeGate(exchange, encodings, undefined);
      const decoded = await decodeBody(raw, encodings.layers, this.maxBodyBytes);
      if (!decoded.ok) return this.refuseBeforeGate(exchange, decoded, undefined);
      const target = tunnelTarget(envelopeHeader(decoded.body), this.ownHosts);
      if (!target.ok) return this.refuseBeforeGate(exchange, target, undefined);
      exchange.request.rawBody = decoded.body;
      const result = await this.gate.admitWhole({
        ...exchange.request,
        projectId: target.projectId,
        auth: { xSentryAuth: undefined, authorization: undefined, query: '', pathKey: undefined },
        contentEncoding: undefined,
        params: { project_id: target.projectId },
        // Delivered as what it is: an envelope of that project, already decoded.
        facts: () => {
          const f = exchange.facts();
          return { ...f, path: `/api/${target.projectId}/envelope/`, query: '', headers: { ...f.headers, 'content-encoding': undefined } };
        },
      });
      this.answer(exchange, result);
    } catch (error) {
      this.failed(exchange, error);
    }
  }

  private answer(exchange: Exchange, result: GateResult): void {
    if (!result.ok) return this.refuse(exchange, result);
    const eventId = result.read.eventId;
    switch (exchange.endpoint.success) {
      case 'id':
        return this.write(exchange, 200, result.headers, JSON_TYPE, eventId ? `{"id":"${eventId}"}` : '{}');
      case 'text-id':
        return this.write(exchange, 200, result.headers, TEXT_TYPE, hyphenated(eventId ?? '0'.repeat(32)));
      case 'empty':
        return this.write(exchange, 200, result.headers, undefined, '');
      case 'accepted':
        return this.write(exchange, 202, result.headers, undefined, '');
      case 'created':
        return this.write(exchange, 201, result.headers, undefined, '');
    }
  }

  /** A refusal made before the gate (which counts its own): counted in the metrics, answered in Relay's shape. */
  private refuseBeforeGate(exchange: Exchange, failure: IngestFailure, projectId: number | undefined, closing = false): void {
    this.options.metrics.request('refused', INGEST_ERRORS[failure.code].reason, exchange.endpoint.name, projectId);
    this.refuse(exchange, failure, closing);
  }

  /** The one place an ingest refusal becomes an HTTP answer. */
  private refuse(exchange: Exchange, failure: IngestFailure, closing = false): void {
    const spec: { status: number; bodyless?: boolean } = INGEST_ERRORS[failure.code];
    const body = spec.bodyless ? '' : JSON.stringify(ingestErrorBody(failure));
    this.write(exchange, spec.status, failure.headers, spec.bodyless ? undefined : JSON_TYPE, body, closing);
  }

  private preflightAnswer(exchange: Exchange): void {
    this.write(exchange, 200, {
      'access-control-allow-methods': exchange.endpoint.methods.join(','),
      'access-control-allow-headers': CORS_ALLOW_HEADERS,
      'access-control-max-age': '3600',
    }, undefined, '');
  }

  private failed(exchange: Exchange, error: unknown): void {
    this.options.log.error({ err: error, reqId: exchange.id }, 'ingest request failed');
    this.write(exchange, 500, undefined, JSON_TYPE, JSON.stringify({ detail: 'internal server error' }));
  }

  /** Every answer: its request id, Relay's CORS, and a lingering close when the body is still arriving. */
  private write(
    exchange: Exchange,
    status: number,
    extra: Record<string, string> | undefined,
    contentType: string | undefined,
    body: string,
    close = false,
  ): void {
    const res = exchange.res;
    if (res.headersSent) return;
    const headers: OutgoingHttpHeaders = {
      'x-request-id': exchange.id,
      'access-control-allow-origin': '*',
      'access-control-expose-headers': CORS_EXPOSE_HEADERS,
      ...extra,
    };
    if (contentType) headers['content-type'] = contentType;
    headers['content-length'] = Buffer.byteLength(body);
    if ((announcesBody(exchange.req) && lingerIfUnread(exchange.req, this.maxBodyBytes)) || close) headers.connection = 'close';
    res.writeHead(status, headers);
    res.end(body);
  }
}

function answerClosing(res: ServerResponse): void {
  res.setHeader('connection', 'close');
  res.writeHead(503, { 'content-type': 'application/json', 'content-length': String(CLOSING_BODY.length) });
  res.end(CLOSING_BODY);
}
