/**
 * The ingest gate: what happens to a request on a DSN endpoint, cheapest check first and quota
 * last, so a refused request never spends quota (Relay's order: auth from the request → body →
 * the key and its project → the key's quota). Outcomes are returned as values; the HTTP edge
 * (routes/ingest.ts) renders them. Every request is counted in the metrics; accepted and
 * rate-limited events in the key's stats; accepted requests in the project's recent events and,
 * with FORWARD_URL, sent upstream.
 *
 * Each step returns a plain value when it has nothing to wait for (the usual case: no
 * compression, the key in memory, counters in memory) and a promise only when it must wait, so
 * the hot path allocates no promise at all.
 */
import { authFromEnvelopeHeader, authFromRequest, type AuthSources, type ClientAuth } from './auth.ts';
import { decodeBody, type BodyResult } from './body.ts';
import type { IngestEndpoint, ReadBody } from './endpoints.ts';
import { requestOrigin } from '../domain/origins.ts';
import { envelopeHeader } from './envelope.ts';
import { INGEST_ERRORS, ingestFailure, type IngestFailure } from './errors.ts';
import type { Forwarder, ForwardRequest } from './forwarder.ts';
import { keyIsLive, type IngestKey, type KeyCache } from './key-cache.ts';
import type { KeyStatsRecorder } from './key-stats.ts';
import type { IngestMetrics } from './metrics.ts';
import { keyQuota, rateLimitsHeader, type RateLimitDecision, type RateLimiter } from './rate-limit/limiter.ts';
import type { RecentEvents } from './recent-events.ts';

export interface GateRequest {
  endpoint: IngestEndpoint;
  /** The `{project_id}` path segment as received; undefined on the legacy `/api/store/`. */
  projectId: string | undefined;
  auth: AuthSources;
  rawBody: Buffer;
  contentEncoding: string | undefined;
  contentType: string | undefined;
  /** The Origin and Referer headers, for the project's allowed domains. */
  origin: string | undefined;
  referer: string | undefined;
  params: Record<string, string | undefined>;
  /** The request as received, for FORWARD_URL; only built when the request is accepted. */
  forward: () => ForwardRequest;
}

export interface Admitted {
  ok: true;
  key: IngestKey;
  read: ReadBody;
}

export type GateResult = Admitted | IngestFailure;

type Maybe<T> = T | Promise<T>;

function then<T, U>(value: Maybe<T>, next: (value: T) => Maybe<U>): Maybe<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

export interface IngestGateOptions {
  keys: KeyCache;
  limiter: RateLimiter;
  stats: KeyStatsRecorder;
  recent: RecentEvents;
  metrics: IngestMetrics;
  forwarder: Forwarder | undefined;
  maxBodyBytes: number;
  now?: () => number;
}

/** A request that passed authentication and whose body was read. */
interface Read {
  request: GateRequest;
  auth: ClientAuth;
  body: Buffer;
  read: ReadBody;
}

const PROJECT_ID = /^\d{1,15}$/;

export class IngestGate {
  private readonly now: () => number;
  /** Where unexpected background failures (a rate limiter that cannot be reached) are reported. */
  onError: (message: string, error: unknown) => void = () => {};

  constructor(private readonly options: IngestGateOptions) {
    this.now = options.now ?? Date.now;
  }

  admit(request: GateRequest): Maybe<GateResult> {
    return then(this.decide(request), (result) => this.count(request, result));
  }

  private count(request: GateRequest, result: GateResult): GateResult {
    const { metrics } = this.options;
    if (result.ok) {
      metrics.request('accepted', 'accepted', request.endpoint.name, result.key.projectId);
    } else {
      const outcome = result.code === 'rate_limited' ? 'dropped' : 'refused';
      metrics.request(outcome, result.reason ?? INGEST_ERRORS[result.code].reason, request.endpoint.name, result.projectId);
    }
    return result;
  }

  private decide(request: GateRequest): Maybe<GateResult> {
    if (request.projectId !== undefined && !PROJECT_ID.test(request.projectId)) {
      return ingestFailure('bad_project', { causes: ['invalid digit found in string'] });
    }
    const auth = authFromRequest(request.auth);
    if (!auth.ok && auth.code !== 'missing_auth') return auth;
    if (request.rawBody.length > this.options.maxBodyBytes) return ingestFailure('too_large');
    const decoded = decodeBody(request.rawBody, request.contentEncoding, this.options.maxBodyBytes);
    return then(decoded, (body) => {
      const read = this.readBody(request, auth.ok ? auth : undefined, body);
      return 'code' in read ? read : this.checkKey(read);
    });
  }

  /** Authentication from the envelope header when the request had none, then the endpoint's body checks. */
  private readBody(request: GateRequest, requestAuth: ClientAuth | undefined, decoded: BodyResult): Read | IngestFailure {
    if (!decoded.ok) return decoded;
    const body = decoded.body;
    let auth = requestAuth;
    if (!auth) {
      if (!request.endpoint.envelopeAuth) return ingestFailure('missing_auth');
      const fromHeader = authFromEnvelopeHeader(envelopeHeader(body));
      // A DSN in the header that is not one is a bad header, whatever in it is wrong.
      if (!fromHeader.ok) {
        return fromHeader.code === 'bad_public_key' ? ingestFailure('bad_envelope_auth', { causes: fromHeader.causes ?? [] }) : fromHeader;
      }
      auth = fromHeader;
    }
    const query = request.auth.query;
    const read = request.endpoint.read({ body, contentType: request.contentType, query, params: request.params });
    return read.ok ? { request, auth, body, read } : read;
  }

  /** The key exists, may send, belongs to the project in the path, and its project admits the origin. */
  private checkKey(read: Read): Maybe<GateResult> {
    return then(this.options.keys.get(read.auth.publicKey), (key): Maybe<GateResult> => {
      if (!key) return ingestFailure('rejected', { reason: 'unknown_key' });
      if (!keyIsLive(key, this.now())) {
        return ingestFailure('rejected', { reason: 'disabled_key', projectId: key.projectId });
      }
      const stated = read.request.projectId;
      if (stated !== undefined && Number(stated) !== key.projectId) {
        return ingestFailure('rejected', { reason: 'wrong_project', projectId: key.projectId });
      }
      if (key.allowedOrigins && !key.allowedOrigins(requestOrigin(read.request.origin, read.request.referer))) {
        return ingestFailure('origin_not_allowed', { projectId: key.projectId });
      }
      return this.checkQuota(read, key);
    });
  }

  /** Last, the key's quota: only events of the error categories count, as in Relay. */
  private checkQuota(read: Read, key: IngestKey): Maybe<GateResult> {
    const nowMs = this.now();
    const quantity = read.read.quantity;
    if (quantity === 0 || !key.rateLimit) return this.accept(read, key, nowMs);
    return then(this.consume(key, key.rateLimit, quantity, nowMs), (decision): GateResult => {
      if (decision.admitted) return this.accept(read, key, nowMs);
      this.options.stats.record(key.id, 'dropped', quantity, nowMs);
      this.options.metrics.eventsCounted('dropped', key.projectId, quantity);
      // Relay answers check-ins 202 even when they are dropped.
      if (read.request.endpoint.neverRateLimited) return { ok: true, key, read: { ...read.read, quantity: 0 } };
      return ingestFailure('rate_limited', {
        projectId: key.projectId,
        headers: { 'retry-after': String(decision.retryAfter), 'x-sentry-rate-limits': rateLimitsHeader(decision.retryAfter) },
      });
    });
  }

  private consume(key: IngestKey, rateLimit: NonNullable<IngestKey['rateLimit']>, quantity: number, nowMs: number): Maybe<RateLimitDecision> {
    // Shared counters out of reach: admit rather than drop everyone's events, and say so.
    const failed = (error: unknown): RateLimitDecision => {
      this.options.metrics.limiterError();
      this.onError('rate limiter failed; the request was admitted', error);
      return { admitted: true };
    };
    try {
      const decision = this.options.limiter.consume(keyQuota({ id: key.id, organizationId: key.organizationId, rateLimit }), quantity, nowMs);
      return decision instanceof Promise ? decision.catch(failed) : decision;
    } catch (error) {
      return failed(error);
    }
  }

  private accept({ request, auth, body, read }: Read, key: IngestKey, nowMs: number): Admitted {
    if (read.quantity > 0) {
      this.options.stats.record(key.id, 'accepted', read.quantity, nowMs);
      this.options.metrics.eventsCounted('accepted', key.projectId, read.quantity);
    }
    this.options.recent.record({
      projectId: key.projectId,
      publicKey: key.publicKey,
      eventId: read.eventId,
      endpoint: request.endpoint.name,
      itemTypes: read.itemTypes,
      size: body.length,
      sdk: read.sdk ?? auth.client,
      event: read.event,
      receivedAt: nowMs,
    });
    this.options.forwarder?.enqueue(request.forward());
    return { ok: true, key, read };
  }
}
