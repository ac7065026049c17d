/**
 * Delivery: queued requests go to their backends, at least once, oldest first. A claimed row is
 * leased (so on PostgreSQL instances share the queue and a dead instance's rows come back) and
 * then settled by the backend's answer:
 * - 2xx: delivered, removed;
 * - 429: dropped and counted rate limited, its limits learned for the gate (as Relay does);
 * - another 4xx (the backend's key disabled, its project gone): dropped, counted refused, and the
 *   status and reason become the project's last error; it would only ever be refused again;
 * - 5xx, 408, a network error or a timeout: tried again later, with exponential backoff and full
 *   jitter, never sooner than the backend's Retry-After. A backend that failed is left alone until
 *   its backoff ends: its other rows wait instead of each failing on its own.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, getGlobalDispatcher, request as httpRequest, type Dispatcher } from 'undici';
import { parseRetryAfter } from '../domain/rate-limits-header.ts';
import type { UpstreamHostPolicy } from '../domain/upstream-hosts.ts';
import type { Database } from '../storage/database.ts';
import type { Delivery } from '../storage/stores/deliveries.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { Spool } from './spool.ts';
import { DeliveryStats } from './stats.ts';
import type { UpstreamLimits } from './upstream-limits.ts';

export interface DeliveryOptions {
  /** Requests in flight at once, over all backends. */
  concurrency?: number;
  /** How long a claimed row is this instance's before another may take it. */
  leaseMs?: number;
  timeoutMs?: number;
  /** How often to look for rows another instance queued or that became due. */
  pollMs?: number;
  now?: () => number;
}

const BASE_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5 * 60_000;
const MAX_REASON_LENGTH = 300;

/** Full jitter over an exponential backoff (AWS Architecture Blog), floored by the backend's Retry-After. */
export function retryDelay(attempts: number, retryAfterSeconds: number | undefined, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** Math.min(attempts, 20));
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  return Math.max(jittered, (retryAfterSeconds ?? 0) * 1000);
}

type Verdict =
  | { kind: 'delivered' }
  | { kind: 'rate_limited'; rateLimits: string | null; retryAfter: string | null }
  | { kind: 'refused'; status: number | null; reason: string }
  | { kind: 'retry'; status: number | null; reason: string; retryAfter: number | undefined };

class HostRefused extends Error {
  override name = 'HostRefused';
}

/** A claimed row waiting for a sender, and the last moment an attempt may start under its lease. */
interface Claimed {
  delivery: Delivery;
  sendBy: number;
  /** The lease written into the row (PostgreSQL), or undefined (SQLite: held in memory). */
  leaseUntil: number | undefined;
}

/** How many times DELIVERY_CONCURRENCY one claim takes: a claim per this many sends. */
const CLAIM_FACTOR = 8;
/**
 * How long what the sends decided may wait to be written (unless a claim's worth is waiting):
 * under load, one DELETE then removes tens of rows rather than a few.
 */
const WRITE_DELAY_MS = 10;
/** Hostnames whose literal-address verdict is remembered (a tenant's backend names one host). */
const MAX_HOST_VERDICTS = 10_000;

/**
 * A sliding window: up to `concurrency` sends are in flight at any time, and rows are claimed
 * (one statement, `concurrency × 8` at a time) while they are, whenever fewer than `concurrency`
 * claimed rows are left waiting; a send that ends starts the next at once. What the sends
 * decide is written in groups: every row delivered or dropped since the last write is removed by
 * one statement, retries and postponements go with it, and one write runs at a time (as the
 * spool's group commit). A delivered row not yet removed is still held (leased): it is never sent
 * twice by this instance, and after a crash it is sent again (at least once). Leases: on
 * PostgreSQL written into the rows by the claim (instances share the queue; a claimed row whose
 * lease has too little left for a whole attempt is not sent, and its lease is left to end); on
 * SQLite (one file, one server) kept in memory, so a claim writes nothing.
 */
export class DeliveryWorker {
  private readonly concurrency: number;
  private readonly claimSize: number;
  private readonly leaseMs: number;
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  private readonly now: () => number;
  private readonly stats: DeliveryStats;
  /** Backends that failed: left alone until then (Unix ms). */
  private readonly resting = new Map<string, number>();
  private readonly dispatcher: Dispatcher;
  private readonly hostVerdicts = new Map<string, HostRefused | null>();
  /** `scheme://authority` as written in queued URLs → its origin (null: not sent by origin and path). */
  private readonly origins = new Map<string, string | null>();
  /** Claimed, not yet sent, oldest first. */
  private waiting: Claimed[] = [];
  private readonly sending = new Set<Promise<void>>();
  /**
   * Ids claimed and not yet settled in the database (waiting, in flight, or decided and not yet
   * written): on SQLite these are the leases (one server; nothing is written), and the next read
   * passes over them; on PostgreSQL the leases are in the rows.
   */
  private readonly held = new Set<number>();
  /** SQLite: rows are read after this id; back to 0 at each poll, for retries that became due. */
  private cursor = 0;
  private claiming: Promise<void> | undefined;
  /** The last claim found fewer rows than it asked for: nothing more is due until a wake or a poll. */
  private drained = false;
  /** Counts wakes and polls: a claim that began before one cannot say nothing more is due. */
  private wakes = 0;
  /** What the sends decided, not yet written. */
  private removals: Delivery[] = [];
  private retries: { id: number; attempts: number; at: number }[] = [];
  private postponed = new Map<number, number[]>();
  /** Claims given back at stop: lease → ids (PostgreSQL; only a lease still ours is cleared). */
  private releases = new Map<number, number[]>();
  private writing: Promise<void> | undefined;
  private writeTimer: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  onError: (message: string, error: unknown) => void = () => {};

  constructor(
    private readonly db: Database,
    private readonly spool: Spool,
    private readonly limits: UpstreamLimits,
    private readonly policy: UpstreamHostPolicy,
    private readonly metrics: GatewayMetrics,
    options: DeliveryOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 16;
    this.claimSize = Math.min(1000, this.concurrency * CLAIM_FACTOR);
    // A lease outlives the longest attempt (the timeout) and not much more: on PostgreSQL, rows a
    // dead instance had claimed come back to the others this soon.
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.leaseMs = options.leaseMs ?? this.timeoutMs + 5000;
    this.pollMs = options.pollMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.stats = new DeliveryStats(db, this.now);
    // Every connection to a name goes to an address the policy allows, checked as it is resolved:
    // a name cannot be pointed at an internal address after it was set (DNS rebinding). One pool
    // of kept-alive connections per backend origin, as many as there are senders.
    this.dispatcher = new Agent({ connect: { lookup: this.checkedLookup }, keepAliveTimeout: 10_000, connections: this.concurrency });
  }

  async start(): Promise<void> {
    // One SQLite file has one server: rows a killed process had claimed are free at once. On
    // PostgreSQL another instance may hold them; they come back when its lease ends.
    if (this.db.dialect === 'sqlite') await this.db.stores.deliveries.releaseAllLeases();
    this.stopped = false;
    this.stats.start();
    // The poll: rows another instance queued, retries that became due, writes that failed.
    this.timer = setInterval(() => {
      this.wakes += 1;
      this.drained = false;
      this.cursor = 0;
      this.pump();
      if (this.hasDecisions()) this.scheduleWrite();
    }, this.pollMs);
    this.timer.unref();
    this.pump();
  }

  /** Something was queued here: deliver it now rather than at the next poll. */
  private wake(): void {
    if (this.stopped) return;
    this.wakes += 1;
    this.drained = false;
    this.pump();
  }

  /**
   * Rows this instance just committed (oldest first). On SQLite, when every row due before them
   * has been read (the last claim drained the queue, none is under way) and they fit in a claim,
   * they are sent as they are, without reading them back: one server, so they are this process's
   * to hold, and held is all a claim would do. Otherwise, and on PostgreSQL (whose instances
   * share the queue by leases written at the claim), they are read as any queued row is.
   */
  committed(deliveries: readonly Delivery[]): void {
    if (this.stopped || deliveries.length === 0) return;
    const fits = this.waiting.length + deliveries.length <= this.claimSize;
    if (this.db.dialect !== 'sqlite' || !this.drained || this.claiming || !fits) return this.wake();
    for (const delivery of deliveries) {
      if (this.held.has(delivery.id)) continue;
      this.held.add(delivery.id);
      this.waiting.push({ delivery, sendBy: Infinity, leaseUntil: undefined });
    }
    // Rows after the cursor are the ones no claim has read: these have been.
    this.cursor = Math.max(this.cursor, deliveries[deliveries.length - 1]!.id);
    this.pump();
  }

  /** Sends in flight end and what they decided is written; rows claimed and not sent are given back. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.writeTimer) clearTimeout(this.writeTimer);
    this.writeTimer = undefined;
    await this.claiming;
    while (this.sending.size > 0) await Promise.all(this.sending);
    for (const claimed of this.waiting) {
      this.held.delete(claimed.delivery.id);
      if (claimed.leaseUntil === undefined) continue;
      const ids = this.releases.get(claimed.leaseUntil);
      if (ids) ids.push(claimed.delivery.id);
      else this.releases.set(claimed.leaseUntil, [claimed.delivery.id]);
    }
    this.waiting = [];
    await this.writing;
    if (this.hasDecisions()) await this.write();
    await this.stats.stop();
    await this.dispatcher.close();
  }

  /** Fill the window: start sends while there is room and rows to send; claim when few are left. */
  private pump(): void {
    if (this.stopped) return;
    const now = this.now();
    let index = 0;
    while (this.sending.size < this.concurrency && index < this.waiting.length) {
      const claimed = this.waiting[index++]!;
      const delivery = claimed.delivery;
      if (claimed.sendBy < now) {
        // Too little of its lease is left for a whole attempt: given back, for whoever claims next.
        // Nothing is written: the lease ends by itself (another instance may hold the row by then).
        this.held.delete(delivery.id);
        continue;
      }
      const rest = this.resting.get(delivery.upstream);
      if (rest !== undefined && rest > now) {
        // Its backend is resting: back in the queue until then (and up to a second more), without an attempt.
        const ids = this.postponed.get(rest);
        if (ids) ids.push(delivery.id);
        else this.postponed.set(rest, [delivery.id]);
        this.scheduleWrite();
        continue;
      }
      const send = this.send(delivery).finally(() => {
        this.sending.delete(send);
        this.pump();
      });
      this.sending.add(send);
    }
    if (index > 0) this.waiting = index === this.waiting.length ? [] : this.waiting.slice(index);
    if (!this.claiming && !this.drained && this.waiting.length < this.concurrency) this.claim();
  }

  private claim(): void {
    this.claiming = (async () => {
      const now = this.now();
      const wakes = this.wakes;
      const store = this.db.stores.deliveries;
      let rows: Delivery[];
      let sendBy: number;
      let leaseUntil: number | undefined;
      if (this.db.dialect === 'sqlite') {
        rows = await store.dueAfter(now, this.cursor, this.claimSize);
        // The one server's claims are in memory: no lease runs out under them.
        sendBy = Infinity;
        if (rows.length > 0) this.cursor = Math.max(this.cursor, rows[rows.length - 1]!.id);
      } else {
        rows = await store.claimDue(now, this.claimSize, now + this.leaseMs);
        // An attempt starts only while a whole one (the timeout) fits in what is left of the lease.
        sendBy = now + Math.max(this.leaseMs - this.timeoutMs, this.leaseMs / 2);
        leaseUntil = Math.round(now + this.leaseMs);
      }
      if (rows.length < this.claimSize && wakes === this.wakes) this.drained = true;
      for (const delivery of rows) {
        if (this.held.has(delivery.id)) continue;
        this.held.add(delivery.id);
        this.waiting.push({ delivery, sendBy, leaseUntil });
      }
    })()
      .catch((error: unknown) => {
        // The database is away: tried again at the next poll.
        this.drained = true;
        this.onError('claiming queued requests failed; retrying at the next poll', error);
      })
      .finally(() => {
        this.claiming = undefined;
        this.pump();
      });
  }

  private async send(delivery: Delivery): Promise<void> {
    const verdict = await this.attempt(delivery);
    if (verdict.kind === 'retry') this.retry(delivery, verdict);
    else {
      this.settled(delivery, verdict);
      this.removals.push(delivery);
    }
    this.scheduleWrite();
  }

  private hasDecisions(): boolean {
    return this.removals.length > 0 || this.retries.length > 0 || this.postponed.size > 0 || this.releases.size > 0;
  }

  /** Write what was decided within WRITE_DELAY_MS (at once when a claim's worth waits), one write at a time. */
  private scheduleWrite(): void {
    if (this.writing || this.stopped) return;
    const now = this.removals.length + this.retries.length >= this.claimSize;
    if (this.writeTimer && !now) return;
    if (this.writeTimer) clearTimeout(this.writeTimer);
    this.writeTimer = setTimeout(
      () => {
        this.writeTimer = undefined;
        this.writing = this.write().then((written) => {
          this.writing = undefined;
          // After a failure, the poll tries again.
          if (written && this.hasDecisions()) this.scheduleWrite();
        });
      },
      now ? 0 : WRITE_DELAY_MS,
    );
  }

  /** One group of decisions: removals in one statement, the rest with them in one transaction. */
  private async write(): Promise<boolean> {
    if (!this.hasDecisions()) return true;
    const removals = this.removals;
    const retries = this.retries;
    const postponed = this.postponed;
    const releases = this.releases;
    this.removals = [];
    this.retries = [];
    this.postponed = new Map();
    this.releases = new Map();
    const ids = removals.map((d) => d.id);
    try {
      if (retries.length === 0 && postponed.size === 0 && releases.size === 0) {
        await this.db.stores.deliveries.remove(ids);
      } else {
        await this.db.bookkeepingTransaction(async (stores) => {
          await stores.deliveries.remove(ids);
          for (const r of retries) await stores.deliveries.retryLater(r.id, r.attempts, r.at);
          for (const [rest, rows] of postponed) await stores.deliveries.postpone(rows, rest + Math.random() * 1000);
          for (const [lease, rows] of releases) await stores.deliveries.releaseLeases(rows, lease);
        });
      }
    } catch (error) {
      // Kept for the next write (the rows stay leased meanwhile; should this instance die, they
      // come back when the lease ends and are sent again: at least once).
      this.removals.unshift(...removals);
      this.retries.unshift(...retries);
      for (const [rest, rows] of postponed) this.postponed.set(rest, [...rows, ...(this.postponed.get(rest) ?? [])]);
      for (const [lease, rows] of releases) this.releases.set(lease, [...rows, ...(this.releases.get(lease) ?? [])]);
      this.onError('writing delivery outcomes failed; retrying at the next poll', error);
      return false;
    }
    for (const d of removals) {
      this.held.delete(d.id);
      this.spool.released(d.size);
    }
    for (const r of retries) this.held.delete(r.id);
    for (const rows of postponed.values()) for (const id of rows) this.held.delete(id);
    return true;
  }

  private settled(delivery: Delivery, verdict: Exclude<Verdict, { kind: 'retry' }>): void {
    this.resting.delete(delivery.upstream);
    // Alerts are no project's backend: their outcomes count nowhere but the metrics.
    if (delivery.upstream === 'alerts') return this.metrics.delivery(verdict.kind === 'delivered' ? 'delivered' : verdict.kind === 'rate_limited' ? 'rate_limited' : 'refused', 0);
    if (verdict.kind === 'delivered') {
      this.stats.delivered(delivery.projectId);
      this.metrics.delivery('delivered', delivery.projectId);
    } else if (verdict.kind === 'rate_limited') {
      this.limits.learn(delivery.upstream, verdict.rateLimits, verdict.retryAfter);
      this.stats.rateLimited(delivery.projectId);
      this.metrics.delivery('rate_limited', delivery.projectId);
    } else {
      this.stats.refused(delivery.projectId, verdict.status, verdict.reason);
      this.metrics.delivery('refused', delivery.projectId);
    }
  }

  private retry(delivery: Delivery, verdict: Extract<Verdict, { kind: 'retry' }>): void {
    const attempts = delivery.attempts + 1;
    const at = this.now() + retryDelay(attempts, verdict.retryAfter);
    this.resting.set(delivery.upstream, at);
    if (delivery.upstream !== 'alerts') this.stats.failed(delivery.projectId, verdict.status, verdict.reason);
    this.metrics.delivery('retried', delivery.projectId);
    this.retries.push({ id: delivery.id, attempts, at });
  }

  private async attempt(delivery: Delivery): Promise<Verdict> {
    try {
      // FORWARD_URL and ALERT_WEBHOOK_URL are the operator's own; only tenants' backends are checked.
      const operators = delivery.upstream === 'forward' || delivery.upstream === 'alerts';
      if (!operators) this.checkLiteralAddress(delivery.url);
      const target = this.targetOf(delivery.url);
      const options = {
        method: delivery.method as Dispatcher.HttpMethod,
        headers: delivery.headers,
        body: delivery.body ?? undefined,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      };
      // The dispatcher's own request, given origin and path: undici's request(url) parses the URL
      // and wraps the call again on every send (about 12 µs a request more, measured).
      const response = target
        ? await (operators ? getGlobalDispatcher() : this.dispatcher).request({ ...options, origin: target.origin, path: target.path })
        : await httpRequest(delivery.url, { ...options, dispatcher: operators ? undefined : this.dispatcher });
      const status = response.statusCode;
      if (status >= 200 && status < 300) {
        // Nothing of a delivered answer is read: its body is only drained, for the connection's reuse.
        await response.body.dump().catch(() => {});
        return { kind: 'delivered' };
      }
      const text = await response.body.text().catch(() => '');
      const header = (name: string) => {
        const value = response.headers[name];
        return Array.isArray(value) ? value.join(', ') : (value ?? null);
      };
      if (status === 429) return { kind: 'rate_limited', rateLimits: header('x-sentry-rate-limits'), retryAfter: header('retry-after') };
      const reason = reasonOf(status, text, header('x-sentry-error'));
      if (status >= 400 && status < 500 && status !== 408) return { kind: 'refused', status, reason };
      return { kind: 'retry', status, reason, retryAfter: parseRetryAfter(header('retry-after'), this.now()) };
    } catch (error) {
      if (error instanceof HostRefused || (error as { cause?: unknown }).cause instanceof HostRefused) {
        return { kind: 'refused', status: null, reason: (error instanceof HostRefused ? error : ((error as { cause: HostRefused }).cause)).message };
      }
      const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
      return { kind: 'retry', status: null, reason: `${code ?? 'error'}: ${(error as Error).message}`.slice(0, MAX_REASON_LENGTH), retryAfter: undefined };
    }
  }

  /**
   * The URL as origin and path (with its query), its origin normalised once per distinct one;
   * undefined for a URL of another shape (userinfo, no path, a fragment, characters the URL form
   * would encode), which goes through undici's URL form.
   */
  private targetOf(url: string): { origin: string; path: string } | undefined {
    const start = url.indexOf('//');
    const slash = start < 0 ? -1 : url.indexOf('/', start + 2);
    if (slash < 0) return undefined;
    const authority = url.slice(0, slash);
    let origin = this.origins.get(authority);
    if (origin === undefined) {
      origin = /[@?#\\]/.test(authority.slice(start + 2)) ? null : new URL(authority).origin;
      if (this.origins.size >= MAX_HOST_VERDICTS) this.origins.clear();
      this.origins.set(authority, origin);
    }
    if (origin === null) return undefined;
    const path = url.slice(slash);
    // Only a path the URL form would send unchanged (printable ASCII, no fragment) goes as it is.
    return /[^\x21-\x22\x24-\x7e]/.test(path) ? undefined : { origin, path };
  }

  /** A backend named by a literal address must be one the policy allows (names are checked as they resolve). */
  private checkLiteralAddress(url: string): void {
    // The host of `scheme://host[:port]/…`, without parsing the whole URL on every send.
    const authority = url.slice(url.indexOf('//') + 2).split('/', 1)[0]!;
    let verdict = this.hostVerdicts.get(authority);
    if (verdict === undefined) {
      const hostname = new URL(url).hostname;
      const address = hostname.replace(/^\[|\]$/g, '');
      verdict = isIP(address) && !this.policy.allowsAddress(hostname, address) ? new HostRefused(`upstream address ${address} is not allowed (UPSTREAM_HOSTS: ${this.policy.description})`) : null;
      if (this.hostVerdicts.size >= MAX_HOST_VERDICTS) this.hostVerdicts.clear();
      this.hostVerdicts.set(authority, verdict);
    }
    if (verdict) throw verdict;
  }

  private readonly checkedLookup = (hostname: string, options: object, callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const allowed = (addresses as LookupAddress[]).filter((a) => this.policy.allowsAddress(hostname, a.address));
      if (allowed.length === 0) {
        return callback(new HostRefused(`upstream host ${hostname} resolves to no allowed address (UPSTREAM_HOSTS: ${this.policy.description})`), []);
      }
      if ((options as { all?: boolean }).all) return callback(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

/** The backend's own words: Relay's `{"detail": …}`, else X-Sentry-Error, else the status text. */
function reasonOf(status: number, body: string, sentryError: string | null): string {
  let detail: string | undefined;
  try {
    const parsed = JSON.parse(body) as { detail?: unknown };
    if (typeof parsed?.detail === 'string') detail = parsed.detail;
  } catch {
    detail = undefined;
  }
  const text = detail ?? sentryError ?? (body.trim() || `HTTP ${status}`);
  return text.slice(0, MAX_REASON_LENGTH);
}
