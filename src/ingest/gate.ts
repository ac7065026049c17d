/**
 * The ingest gate: what happens to a request on a DSN endpoint, cheapest check first and quota
 * last, so a refused request never spends quota (Relay's order: auth from the request → body →
 * the key and its project → the key's quota). Outcomes are returned as values; the HTTP edge
 * (routes/ingest.ts) renders them. Every request is counted in the metrics; accepted and
 * rate-limited events in the key's stats; accepted requests in the project's recent events and,
 * with FORWARD_URL, sent upstream.
 */
import { authFromEnvelopeHeader, authFromRequest, type AuthSources } from './auth.ts';
import { decodeBody } from './body.ts';
import type { IngestEndpoint, ReadBody } from './endpoints.ts';
import { envelopeHeader } from './envelope.ts';
import { INGEST_ERRORS, ingestFailure, type IngestFailure } from './errors.ts';
import type { Forwarder, ForwardRequest } from './forwarder.ts';
import type { IngestKey, KeyCache } from './key-cache.ts';
import type { KeyStatsRecorder } from './key-stats.ts';
import type { IngestMetrics } from './metrics.ts';
import { keyQuota, rateLimitsHeader, type RateLimiter, type RateLimitDecision } from './rate-limit/limiter.ts';
import type { RecentEvents } from './recent-events.ts';

export interface GateRequest {
  endpoint: IngestEndpoint;
  /** The `{project_id}` path segment as received; undefined on the legacy `/api/store/`. */
  projectId: string | undefined;
  auth: AuthSources;
  rawBody: Buffer;
  contentEncoding: string | undefined;
  contentType: string | undefined;
  query: URLSearchParams;
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

const PROJECT_ID = /^\d{1,15}$/;

export class IngestGate {
  private readonly now: () => number;
  /** Where unexpected background failures (a rate limiter that cannot be reached) are reported. */
  onError: (message: string, error: unknown) => void = () => {};

  constructor(private readonly options: IngestGateOptions) {
    this.now = options.now ?? Date.now;
  }

  async admit(request: GateRequest): Promise<GateResult> {
    const result = await this.decide(request);
    const { metrics } = this.options;
    if (result.ok) {
      metrics.request('accepted', 'accepted', request.endpoint.name, result.key.projectId);
    } else {
      const outcome = result.code === 'rate_limited' ? 'dropped' : 'refused';
      metrics.request(outcome, result.reason ?? INGEST_ERRORS[result.code].reason, request.endpoint.name, result.projectId);
    }
    return result;
  }

  private async decide(request: GateRequest): Promise<GateResult> {
    const { endpoint } = request;
    if (request.projectId !== undefined && !PROJECT_ID.test(request.projectId)) {
      return ingestFailure('bad_project', { causes: ['invalid digit found in string'] });
    }
    let auth = authFromRequest(request.auth);
    if (!auth.ok && auth.code !== 'missing_auth') return auth;

    if (request.rawBody.length > this.options.maxBodyBytes) return ingestFailure('too_large');
    const decoded = await decodeBody(request.rawBody, request.contentEncoding, this.options.maxBodyBytes);
    if (!decoded.ok) return decoded;
    const body = decoded.body;

    if (!auth.ok) {
      if (!endpoint.envelopeAuth) return auth;
      auth = authFromEnvelopeHeader(envelopeHeader(body));
      if (!auth.ok) {
        // A DSN in the header that is not one is a bad header, whatever in it is wrong.
        return auth.code === 'bad_public_key' ? ingestFailure('bad_envelope_auth', { causes: auth.causes ?? [] }) : auth;
      }
    }

    const read = endpoint.read({ body, contentType: request.contentType, query: request.query, params: request.params });
    if (!read.ok) return read;

    const found = this.options.keys.get(auth.publicKey);
    const key = found instanceof Promise ? await found : found;
    if (!key) return ingestFailure('rejected', { reason: 'unknown_key' });
    if (!key.active) return ingestFailure('rejected', { reason: 'disabled_key', projectId: key.projectId });
    if (request.projectId !== undefined && Number(request.projectId) !== key.projectId) {
      return ingestFailure('rejected', { reason: 'wrong_project', projectId: key.projectId });
    }

    const nowMs = this.now();
    if (read.quantity > 0 && key.rateLimit) {
      const decision = await this.consume(key, key.rateLimit, read.quantity, nowMs);
      if (!decision.admitted) {
        this.options.stats.record(key.id, 'dropped', read.quantity, nowMs);
        this.options.metrics.eventsCounted('dropped', key.projectId, read.quantity);
        if (!endpoint.neverRateLimited) {
          return ingestFailure('rate_limited', {
            projectId: key.projectId,
            headers: { 'retry-after': String(decision.retryAfter), 'x-sentry-rate-limits': rateLimitsHeader(decision.retryAfter) },
          });
        }
        return { ok: true, key, read: { ...read, quantity: 0 } };
      }
    }
    this.accept(key, read, request, body.length, nowMs, auth.client);
    return { ok: true, key, read };
  }

  private async consume(key: IngestKey, rateLimit: NonNullable<IngestKey['rateLimit']>, quantity: number, nowMs: number): Promise<RateLimitDecision> {
    try {
      const decision = this.options.limiter.consume(keyQuota({ id: key.id, organizationId: key.organizationId, rateLimit }), quantity, nowMs);
      return decision instanceof Promise ? await decision : decision;
    } catch (error) {
      // Shared counters out of reach: admit rather than drop everyone's events, and say so.
      this.options.metrics.limiterError();
      this.onError('rate limiter failed; the request was admitted', error);
      return { admitted: true };
    }
  }

  private accept(key: IngestKey, read: ReadBody, request: GateRequest, size: number, nowMs: number, client: string | undefined): void {
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
      size,
      sdk: read.sdk ?? client,
      event: read.event,
    });
    this.options.forwarder?.enqueue(request.forward());
  }
}
