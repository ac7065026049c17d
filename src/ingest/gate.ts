/**
 * The ingest gate: what happens to a request on a DSN endpoint, cheapest check first and quota
 * last, so a refused request never spends quota (Relay's order: auth from the request → body →
 * the key and its project → the key's quota). Outcomes are returned as values; the HTTP edge
 * (routes/ingest-handler.ts) renders them. Every request is counted in the metrics; accepted and
 * rate-limited events in the key's stats; accepted requests in the project's recent events and,
 * when the project has a backend (or with FORWARD_URL), in the durable delivery queue first: the
 * answer waits for the queue's commit.
 *
 * Each step returns a plain value when it has nothing to wait for (the usual case: no
 * compression, the key in memory, counters in memory) and a promise only when it must wait, so
 * the hot path allocates no promise at all.
 */
import { authFromEnvelopeHeader, authFromRequest, type AuthSources, type ClientAuth } from './auth.ts';
import { contentEncodings, decodeBody, type Encoding } from './body.ts';
import type { IngestEndpoint, ReadBody } from './endpoints.ts';
import type { TrustedProxies } from '../domain/client-address.ts';
import { addressAllowed, requestAllowed } from '../domain/key-policy.ts';
import { requestOrigin } from '../domain/origins.ts';
import { envelopeHeader } from '../domain/envelope.ts';
import { INGEST_ERRORS, ingestFailure, type IngestFailure } from './errors.ts';
import type { Gateway, LimitDecision, RequestFacts, Route } from '../gateway/gateway.ts';
import { keyIsLive } from '../domain/keys.ts';
import type { IngestKey, KeyCache } from './key-cache.ts';
import type { KeyStatsRecorder } from './key-stats.ts';
import type { IngestMetrics } from './metrics.ts';
import { ERROR_CATEGORIES } from '../domain/data-categories.ts';
import type { KeyAlerts } from './key-alerts.ts';
import { clientReportDiscards, type KeyHealthRecorder, type RefusalReason } from './key-health.ts';
import { applyQuotas, quotaPlan, unitQuantity, type QuotaLimiter } from './quotas.ts';
import type { RateLimitDecision, RateLimiter } from './rate-limit/limiter.ts';
import type { RecentEvents } from './recent-events.ts';

/** What the gate reads before the body: the request line and headers. */
export interface GateMeta {
  endpoint: IngestEndpoint;
  /** The `{project_id}` path segment as received; undefined on the legacy `/api/store/`. */
  projectId: string | undefined;
  auth: AuthSources;
  contentEncoding: string | undefined;
  /** The Origin and Referer headers, for the project's allowed domains. */
  origin: string | undefined;
  referer: string | undefined;
  /** The connection's peer and its X-Forwarded-For, for a key's IP rules. */
  peer: string;
  forwardedFor: string | undefined;
}

export interface GateRequest extends GateMeta {
  rawBody: Buffer;
  contentType: string | undefined;
  params: Record<string, string | undefined>;
  /** What delivery needs of the HTTP request; only read for requests that are delivered. */
  facts: () => RequestFacts;
}

/**
 * A request whose line and headers passed: its key, already checked, or none yet when the key can
 * only come from the envelope header (the body's first line).
 */
export interface Cleared {
  ok: true;
  auth: ClientAuth | undefined;
  key: IngestKey | undefined;
  layers: Encoding[];
}

export type Preflight = Cleared | IngestFailure;

export interface Admitted {
  ok: true;
  key: IngestKey;
  read: ReadBody;
  /** Headers the answer carries (a backend's rate limit that left some items out). */
  headers?: Record<string, string>;
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
  /** Where accepted requests are delivered (a project's backend, FORWARD_URL); absent in the CLI. */
  gateway: Gateway | undefined;
  /** Whose X-Forwarded-For names the client (TRUSTED_PROXIES). */
  trustedProxies: TrustedProxies;
  /** Per key: last accepted and refused, refusals by reason, what SDKs dropped. */
  health: KeyHealthRecorder;
  /** ALERT_WEBHOOK_URL's alerts (a dead key still in use, a key rate limited). */
  alerts: KeyAlerts;
  maxBodyBytes: number;
  now?: () => number;
}

/** A request whose key passed and whose body was read. */
interface Read {
  request: GateRequest;
  auth: ClientAuth;
  key: IngestKey;
  body: Buffer;
  read: ReadBody;
  /** Where it is delivered, once accepted. */
  route: Route | undefined;
  /** Envelope items left out (a backend's rate limit, a key's quota), and the header saying why. */
  drop: LimitDecision['drop'];
  /** Error events delivered, when quotas left some out. */
  acceptedErrors?: number;
}

const PROJECT_ID = /^\d{1,15}$/;
const ERROR_SET: ReadonlySet<string> = new Set(ERROR_CATEGORIES);
const QUEUE_FULL_CAUSES = ['the delivery queue is full (SPOOL_MAX_BYTES): its backend is not taking events fast enough; retry later'];

export class IngestGate {
  private readonly now: () => number;
  /** Where unexpected background failures (a rate limiter that cannot be reached) are reported. */
  onError: (message: string, error: unknown) => void = () => {};

  constructor(private readonly options: IngestGateOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Everything that can be decided before the body is read, cheapest first: the path, the
   * credential, the body's encoding, then the key and its rules. A request refused here costs no
   * body parsing at all (its bytes are discarded unread).
   */
  preflight(meta: GateMeta): Maybe<Preflight> {
    const decided = this.decideEarly(meta);
    return then(decided, (result) => (result.ok ? result : this.count(meta, result)));
  }

  /** Both steps for a request whose body is already in (the bench's references, the tunnel). */
  admitWhole(request: GateRequest): Maybe<GateResult> {
    return then(this.preflight(request), (cleared) => (cleared.ok ? this.admit(request, cleared) : cleared));
  }

  /** The rest, once the body is in: decode, the envelope header's key if needed, the endpoint's read, the quota. */
  admit(request: GateRequest, cleared: Cleared): Maybe<GateResult> {
    return then(this.decide(request, cleared), (result) => this.count(request, result));
  }

  private count<R extends GateResult>(request: GateMeta, result: R | IngestFailure): R | IngestFailure {
    const { metrics } = this.options;
    if (result.ok) {
      metrics.request('accepted', 'accepted', request.endpoint.name, result.key.projectId);
      this.options.health.accepted(result.key.id, this.now());
    } else {
      const outcome = result.code === 'rate_limited' ? 'dropped' : 'refused';
      metrics.request(outcome, result.reason ?? INGEST_ERRORS[result.code].reason, request.endpoint.name, result.projectId);
      if (result.key) this.countRefusal(result.key, result);
    }
    return result;
  }

  /** A refusal of a known key, in its health (and, for a dead key still in use, an alert). */
  countRefusal(key: IngestKey, failure: IngestFailure): void {
    const reason = healthReason(failure);
    this.options.health.refused(key.id, reason, this.now());
    if (reason === 'disabled' || reason === 'expired') this.options.alerts.usedWhileInactive(key, reason);
  }

  private decideEarly(meta: GateMeta): Maybe<Preflight> {
    if (meta.projectId !== undefined && !PROJECT_ID.test(meta.projectId)) {
      return ingestFailure('bad_project', { causes: ['invalid digit found in string'] });
    }
    const auth = authFromRequest(meta.auth);
    if (!auth.ok && auth.code !== 'missing_auth') return auth;
    if (!auth.ok && !meta.endpoint.envelopeAuth) return auth;
    const encodings = contentEncodings(meta.contentEncoding);
    if (!encodings.ok) return encodings;
    if (!auth.ok) return { ok: true, auth: undefined, key: undefined, layers: encodings.layers };
    return then(this.options.keys.get(auth.publicKey), (key): Preflight => {
      const refused = this.checkKey(meta, key);
      return refused ?? { ok: true, auth, key, layers: encodings.layers };
    });
  }

  private decide(request: GateRequest, cleared: Cleared): Maybe<GateResult> {
    const maxBytes = this.options.maxBodyBytes;
    if (request.rawBody.length > maxBytes) return ingestFailure('too_large', { projectId: cleared.key?.projectId, key: cleared.key });
    return then(decodeBody(request.rawBody, cleared.layers, maxBytes), (decoded) => {
      if (!decoded.ok) return decoded;
      const body = decoded.body;
      if (cleared.auth && cleared.key) return this.readBody(request, cleared.auth, cleared.key, body);
      // No credential on the request: the envelope header's dsn names the key.
      const fromHeader = authFromEnvelopeHeader(envelopeHeader(body));
      // A DSN in the header that is not one is a bad header, whatever in it is wrong.
      if (!fromHeader.ok) {
        return fromHeader.code === 'bad_public_key' ? ingestFailure('bad_envelope_auth', { causes: fromHeader.causes ?? [] }) : fromHeader;
      }
      return then(this.options.keys.get(fromHeader.publicKey), (key): Maybe<GateResult> => {
        const refused = this.checkKey(request, key);
        return refused ?? this.readBody(request, fromHeader, key as IngestKey, body);
      });
    });
  }

  /** The endpoint's own reading of the body, then the quota. */
  private readBody(request: GateRequest, auth: ClientAuth, key: IngestKey, body: Buffer): Maybe<GateResult> {
    const read = request.endpoint.read({ body, contentType: request.contentType, query: request.auth.query, params: request.params, maxBytes: this.options.maxBodyBytes });
    return then(read, (result): Maybe<GateResult> => {
      if (!result.ok) return { ...result, projectId: key.projectId, key };
      return this.checkBackend({ request, auth, key, body, read: result, route: this.options.gateway?.routeOf(key), drop: undefined });
    });
  }

  /** Why the key may not send this request, or undefined: it exists, may send, is of the project in the path, and its project admits the origin. */
  private checkKey(meta: GateMeta, key: IngestKey | undefined): IngestFailure | undefined {
    if (!key) return ingestFailure('rejected', { reason: 'unknown_key' });
    // A rotated key stops at its stored time exactly, on every instance, whether or not the
    // expiry sweep has marked it inactive yet.
    if (!keyIsLive(key, this.now())) {
      // A rotated-out key is expired even once the sweep (or an overlap of 0) has marked it inactive.
      const expired = key.replacedBy !== null || (key.expiresAt !== null && key.expiresAt <= this.now());
      return ingestFailure('rejected', { reason: expired ? 'expired_key' : 'disabled_key', projectId: key.projectId, key });
    }
    const stated = meta.projectId;
    if (stated !== undefined && Number(stated) !== key.projectId) {
      return ingestFailure('rejected', { reason: 'wrong_project', projectId: key.projectId, key });
    }
    const policy = key.policy;
    if (!key.allowedOrigins && !policy) return undefined;
    // The project's allowed domains and the key's own origin rules must both allow it; the origin is
    // read only when some rule looks at it.
    if ((key.allowedOrigins && !key.allowedOrigins(requestOrigin(meta.origin, meta.referer))) || (policy && policy.checksOrigin && !requestAllowed(policy, meta.origin, meta.referer))) {
      return ingestFailure('origin_not_allowed', { projectId: key.projectId, key });
    }
    if (policy && (policy.allowed || policy.denied) && !addressAllowed(policy, this.options.trustedProxies.clientAddress(meta.peer, meta.forwardedFor))) {
      return ingestFailure('ip_not_allowed', { projectId: key.projectId, key });
    }
    return undefined;
  }

  /**
   * Before the key's quota, what the backend already said: its rate limits (as Relay applies its
   * upstream's), and whether the delivery queue has room. Neither spends quota.
   */
  private checkBackend(read: Read): Maybe<GateResult> {
    const { route, key } = read;
    if (!route) return this.checkQuota(read);
    const gateway = this.options.gateway as Gateway;
    const decision = gateway.limitsFor(route, read.read);
    if (decision.refuse) {
      const nowMs = this.now();
      if (read.read.quantity > 0) {
        this.options.stats.record(key.id, 'dropped', read.read.quantity, nowMs);
        this.options.metrics.eventsCounted('dropped', key.projectId, read.read.quantity);
      }
      return ingestFailure('rate_limited', {
        projectId: key.projectId,
        key,
        reason: 'upstream_rate_limited',
        headers: { 'retry-after': String(decision.refuse.retryAfter), 'x-sentry-rate-limits': decision.refuse.header },
      });
    }
    if (!gateway.hasRoomFor(read.body.length)) return ingestFailure('queue_full', { projectId: key.projectId, key, causes: QUEUE_FULL_CAUSES });
    return this.checkQuota({ ...read, drop: decision.drop });
  }

  /**
   * Last, the key's quotas: Sentry's `rateLimit` over the error categories, then its own quotas
   * per data category (quotas.ts). A refused item spends no quota; a request with nothing left is a
   * 429, one with some items left out is delivered without them and answered 200 with the header.
   */
  private checkQuota(read: Read): Maybe<GateResult> {
    const key = read.key;
    const nowMs = this.now();
    const plan = quotaPlan(key, read.read, read.body);
    if (!plan) return this.accept(read, nowMs);
    const decided = applyQuotas(plan, read.read.quantity, this.safeLimiter, nowMs, read.drop?.items);
    // The usual answer, decided at once: every quota admitted.
    if (!(decided instanceof Promise) && decided.refusals.length === 0) return this.accept(read, nowMs);
    return then(decided, (outcome): Maybe<GateResult> => {
      if (outcome.refusals.length === 0) return this.accept(read, nowMs);
      const errorEvents = read.read.quantity;
      const droppedErrors = outcome.allRefused ? errorEvents : Math.min(errorEvents, [...outcome.dropped].reduce((sum, u) => sum + unitQuantity(plan.units[u]!, ERROR_SET), 0));
      if (droppedErrors > 0) {
        this.options.stats.record(key.id, 'dropped', droppedErrors, nowMs);
        this.options.metrics.eventsCounted('dropped', key.projectId, droppedErrors);
      }
      const retryAfter = Math.max(...outcome.refusals.map((r) => r.retryAfter));
      const nowSeconds = Math.ceil(nowMs / 1000);
      for (const refusal of outcome.refusals) this.options.alerts.rateLimited(key, { ...refusal.quota, categories: refusal.categories }, nowSeconds + refusal.retryAfter);
      const header = [read.drop?.header, ...outcome.refusals.map((r) => `${r.retryAfter}:${r.header}:key:key_quota`)].filter(Boolean).join(', ');
      // Relay answers check-ins 202 even when they are dropped.
      if (read.request.endpoint.neverRateLimited) return { ok: true, key, read: { ...read.read, quantity: 0 } };
      if (outcome.allRefused) {
        return ingestFailure('rate_limited', { projectId: key.projectId, key, headers: { 'retry-after': String(retryAfter), 'x-sentry-rate-limits': header } });
      }
      return this.accept({ ...read, drop: { items: outcome.dropped, header }, acceptedErrors: errorEvents - droppedErrors }, nowMs);
    });
  }

  /** The rate limiter, admitting when the shared counters are out of reach (and saying so) rather than dropping everyone's events. */
  private readonly safeLimiter: QuotaLimiter = {
    consume: (quota, quantity, nowMs) => {
      try {
        const decision = this.options.limiter.consume(quota, quantity, nowMs);
        return decision instanceof Promise ? decision.catch((error: unknown) => this.limiterFailed(error)) : decision;
      } catch (error) {
        return this.limiterFailed(error);
      }
    },
    refund: (quota, quantity, nowMs) => {
      try {
        const refunded = this.options.limiter.refund(quota, quantity, nowMs);
        return refunded instanceof Promise ? refunded.catch((error: unknown) => this.onError('giving quota back failed', error)) : refunded;
      } catch (error) {
        this.onError('giving quota back failed', error);
      }
    },
  };

  private limiterFailed(error: unknown): RateLimitDecision {
    this.options.metrics.limiterError();
    this.onError('rate limiter failed; the request was admitted', error);
    return { admitted: true };
  }

  /** Accepted: delivered first when it has somewhere to go (answered only once it is queued), then counted. */
  private accept(accepted: Read, nowMs: number): Maybe<GateResult> {
    const { route, key, read, body, request, drop } = accepted;
    if (!route) return this.admitted(accepted, nowMs);
    const gateway = this.options.gateway as Gateway;
    return gateway.deliver(route, key, read, body, request.facts(), drop?.items).then((queued): GateResult => {
      if (!queued.ok) {
        return queued.reason === 'full'
          ? ingestFailure('queue_full', { projectId: key.projectId, key, causes: QUEUE_FULL_CAUSES })
          : ingestFailure('queue_unavailable', { projectId: key.projectId, key, causes: ['the delivery queue cannot be written; retry later'] });
      }
      return this.admitted(accepted, nowMs);
    });
  }

  /** What the SDK says it dropped itself (client reports), for the key's health. */
  private countClientReports(key: IngestKey, read: ReadBody, body: Buffer, nowMs: number): void {
    for (const item of read.envelope!.items) {
      if (item.type === 'client_report') this.options.health.discarded(key.id, clientReportDiscards(body.subarray(item.payloadStart, item.payloadEnd)), nowMs);
    }
  }

  private admitted({ request, auth, key, body, read, drop, acceptedErrors }: Read, nowMs: number): Admitted {
    const accepted = acceptedErrors ?? read.quantity;
    if (read.envelope && read.itemTypes.includes('client_report')) this.countClientReports(key, read, body, nowMs);
    if (accepted > 0) {
      this.options.stats.record(key.id, 'accepted', accepted, nowMs);
      this.options.metrics.eventsCounted('accepted', key.projectId, accepted);
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
    return drop ? { ok: true, key, read, headers: { 'x-sentry-rate-limits': drop.header } } : { ok: true, key, read };
  }
}

/** The health reason of a refusal of a known key. */
function healthReason(failure: IngestFailure): RefusalReason {
  switch (failure.code) {
    case 'rejected':
      return failure.reason === 'wrong_project' ? 'project_mismatch' : failure.reason === 'expired_key' ? 'expired' : 'disabled';
    case 'origin_not_allowed':
      return 'origin';
    case 'ip_not_allowed':
      return 'ip';
    case 'rate_limited':
      return 'rate_limited';
    case 'too_large':
      return 'too_large';
    case 'queue_full':
    case 'queue_unavailable':
      return 'queue_full';
    default:
      return 'invalid';
  }
}
