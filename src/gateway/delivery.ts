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
import { Agent, request as httpRequest, type Dispatcher } from 'undici';
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

export class DeliveryWorker {
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  private readonly now: () => number;
  private readonly stats: DeliveryStats;
  /** Backends that failed: left alone until then (Unix ms). */
  private readonly resting = new Map<string, number>();
  private readonly dispatcher: Dispatcher;
  private running: Promise<void> | undefined;
  private again = false;
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
    // A lease outlives the longest attempt (the timeout) and not much more: on PostgreSQL, rows a
    // dead instance had claimed come back to the others this soon.
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.leaseMs = options.leaseMs ?? this.timeoutMs + 5000;
    this.pollMs = options.pollMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.stats = new DeliveryStats(db, this.now);
    // Every connection to a name goes to an address the policy allows, checked as it is resolved:
    // a name cannot be pointed at an internal address after it was set (DNS rebinding).
    this.dispatcher = new Agent({ connect: { lookup: this.checkedLookup }, keepAliveTimeout: 10_000, connections: 64 });
  }

  async start(): Promise<void> {
    // One SQLite file has one server: rows a killed process had claimed are free at once. On
    // PostgreSQL another instance may hold them; they come back when its lease ends.
    if (this.db.dialect === 'sqlite') await this.db.stores.deliveries.releaseAllLeases();
    this.stopped = false;
    this.stats.start();
    this.schedule(0);
  }

  /** Something was queued here: deliver it now rather than at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.stats.stop();
    await this.dispatcher.close();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running ??= this.run().finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule(0);
        } else {
          this.schedule(this.pollMs);
        }
      });
    }, delayMs);
    this.timer.unref();
  }

  /** Claim and settle due rows until none are left. */
  private async run(): Promise<void> {
    try {
      for (;;) {
        if (this.stopped) return;
        const now = this.now();
        const batch = await this.db.stores.deliveries.claimDue(now, this.concurrency * 4, now + this.leaseMs);
        if (batch.length === 0) return;
        await this.settleAll(batch);
      }
    } catch (error) {
      this.onError('delivering queued requests failed; retrying at the next poll', error);
    }
  }

  private async settleAll(batch: Delivery[]): Promise<void> {
    const delivered: Delivery[] = [];
    let next = 0;
    const lane = async () => {
      while (next < batch.length) {
        const delivery = batch[next++]!;
        const rest = this.resting.get(delivery.upstream);
        if (rest !== undefined && rest > this.now()) {
          // Its backend is resting: back in the queue until then, without an attempt.
          await this.db.stores.deliveries.retryLater(delivery.id, delivery.attempts, rest + Math.random() * 1000);
          continue;
        }
        const verdict = await this.attempt(delivery);
        if (verdict.kind === 'retry') await this.retry(delivery, verdict);
        else {
          this.settled(delivery, verdict);
          delivered.push(delivery);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, batch.length) }, lane));
    await this.db.stores.deliveries.remove(delivered.map((d) => d.id));
    for (const d of delivered) this.spool.released(d.size);
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

  private async retry(delivery: Delivery, verdict: Extract<Verdict, { kind: 'retry' }>): Promise<void> {
    const attempts = delivery.attempts + 1;
    const at = this.now() + retryDelay(attempts, verdict.retryAfter);
    this.resting.set(delivery.upstream, at);
    if (delivery.upstream !== 'alerts') this.stats.failed(delivery.projectId, verdict.status, verdict.reason);
    this.metrics.delivery('retried', delivery.projectId);
    await this.db.stores.deliveries.retryLater(delivery.id, attempts, at);
  }

  private async attempt(delivery: Delivery): Promise<Verdict> {
    try {
      const url = new URL(delivery.url);
      // FORWARD_URL and ALERT_WEBHOOK_URL are the operator's own; only tenants' backends are checked.
      const operators = delivery.upstream === 'forward' || delivery.upstream === 'alerts';
      if (!operators) this.checkLiteralAddress(url.hostname);
      const response = await httpRequest(url, {
        method: delivery.method as Dispatcher.HttpMethod,
        headers: delivery.headers,
        body: delivery.body ?? undefined,
        dispatcher: operators ? undefined : this.dispatcher,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      const text = await response.body.text().catch(() => '');
      const header = (name: string) => {
        const value = response.headers[name];
        return Array.isArray(value) ? value.join(', ') : (value ?? null);
      };
      const status = response.statusCode;
      if (status >= 200 && status < 300) return { kind: 'delivered' };
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

  private checkLiteralAddress(hostname: string): void {
    const address = hostname.replace(/^\[|\]$/g, '');
    if (isIP(address) && !this.policy.allowsAddress(hostname, address)) throw new HostRefused(`upstream address ${address} is not allowed (UPSTREAM_HOSTS: ${this.policy.description})`);
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
