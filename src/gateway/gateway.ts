/**
 * Gateway mode, as the ingest gate sees it: where an accepted request goes (the project's backend,
 * else FORWARD_URL, else nowhere), the backend's own rate limits applied before any work, and the
 * durable queue that a request must be in before it is answered.
 */
import { itemQuantities, type Quantities } from '../domain/data-categories.ts';
import type { TrustedProxies } from '../domain/client-address.ts';
import type { Envelope } from '../domain/envelope.ts';
import { entrySize, type Spool, type SpoolResult } from './spool.ts';
import { toForwardUrl, toUpstream, type Outbound } from './translate.ts';
import type { UpstreamLimits } from './upstream-limits.ts';
import type { UpstreamTarget } from './upstream-target.ts';

/** What of the HTTP request delivery needs, read only for requests that are delivered. */
export interface RequestFacts {
  method: string;
  /** As routed: origin form, no query. */
  path: string;
  query: string;
  pathKey: string | undefined;
  /** Lowercase names. */
  headers: Record<string, string | undefined>;
  /** The connection's peer address. */
  peer: string;
  /** The body as received (still encoded, for FORWARD_URL). */
  rawBody: Buffer;
}

/** What delivery reads of an accepted request (the gate's read of its body). */
export interface AcceptedBody {
  /** Relay's data categories and quantities of what the request carries. */
  quantities: Quantities;
  envelope: Envelope | undefined;
  eventId: string | undefined;
}

/** What delivery reads of the key a request came with. */
export interface DeliveredKey {
  projectId: number;
  /** The project's backend, or undefined. */
  upstream: UpstreamTarget | undefined;
}

/** Where a key's requests are delivered. */
export type Route = { kind: 'upstream'; target: UpstreamTarget } | { kind: 'forward'; id: 'forward' };

export interface LimitDecision {
  /** Every part is limited: answer 429 with these headers. */
  refuse?: { header: string; retryAfter: number };
  /** Envelope items to leave out, and the header saying why. */
  drop?: { items: Set<number>; header: string };
}

const NOTHING: LimitDecision = {};

export class Gateway {
  private readonly forwardRoute: Route | undefined;

  constructor(
    readonly spool: Spool,
    readonly limits: UpstreamLimits,
    private readonly trusted: TrustedProxies,
    private readonly forwardUrl: string | undefined,
  ) {
    this.forwardRoute = forwardUrl ? { kind: 'forward', id: 'forward' } : undefined;
  }

  /** The project's backend, else FORWARD_URL, else undefined (accepted requests go nowhere). */
  routeOf(key: DeliveredKey): Route | undefined {
    return key.upstream ? { kind: 'upstream', target: key.upstream } : this.forwardRoute;
  }

  /** The backend's cached rate limits over what the request carries. */
  limitsFor(route: Route, read: AcceptedBody): LimitDecision {
    const id = route.kind === 'upstream' ? route.target.id : route.id;
    const limited = this.limits.check(id, read.quantities);
    if (!limited) return NOTHING;
    const envelope = read.envelope;
    if (!envelope || route.kind === 'forward') return { refuse: limited };
    const items = new Set<number>();
    envelope.items.forEach((item, index) => {
      const categories = itemQuantities({ type: item.type, itemCount: item.itemCount, length: item.payloadEnd - item.payloadStart, contentType: item.contentType });
      if (categories.some(([category]) => limited.categories.has(category))) items.add(index);
    });
    if (items.size === envelope.items.length) return { refuse: limited };
    return { drop: { items, header: limited.header } };
  }

  /** Whether the queue has room for a body of this size (asked before any quota is spent). */
  hasRoomFor(bodyBytes: number): boolean {
    return this.spool.admits(bodyBytes + 1024);
  }

  /** Queue the request for its backend; resolves once the queue row is committed. */
  deliver(route: Route, key: DeliveredKey, read: AcceptedBody, body: Buffer, facts: RequestFacts, drop: Set<number> | undefined): Promise<SpoolResult> {
    const forwardedFor = this.trusted.forwardedFor(facts.peer, facts.headers['x-forwarded-for']);
    let request: Outbound | undefined;
    if (route.kind === 'upstream') {
      request = toUpstream(
        { method: facts.method, path: facts.path, query: facts.query, pathKey: facts.pathKey, headers: facts.headers, forwardedFor, body, envelope: read.envelope, dropItems: drop },
        route.target.dsn,
      );
    } else {
      request = toForwardUrl(this.forwardUrl as string, facts.path, facts.query, { method: facts.method, headers: facts.headers, forwardedFor, rawBody: facts.rawBody });
    }
    if (!request) return Promise.resolve({ ok: false, reason: 'unavailable' });
    const upstream = route.kind === 'upstream' ? route.target.id : route.id;
    const entry = { projectId: key.projectId, upstream, request, eventId: read.eventId };
    return this.spool.enqueue(entry);
  }
}
