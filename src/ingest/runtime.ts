/**
 * The ingest gate with its stateful parts and their lifecycle: the key map warmed at start, the
 * delivery queue read and its worker started, the counters written every STATS_FLUSH_SECONDS,
 * everything written and released on close.
 */
import type { Database } from '../storage/database.ts';
import type { DeliveryWorker } from '../gateway/delivery.ts';
import type { Spool } from '../gateway/spool.ts';
import type { KeyAlerts } from './key-alerts.ts';
import type { KeyHealthRecorder } from './key-health.ts';
import type { IngestGate } from './gate.ts';
import type { KeyCache } from './key-cache.ts';
import { STATS_ROLLUPS, type KeyStatsRecorder } from './key-stats.ts';
import type { IngestMetrics } from './metrics.ts';
import type { RateLimiter } from './rate-limit/limiter.ts';
import type { RecentEvents } from './recent-events.ts';

/** How long buckets are kept: 10 s ones for a day, hourly ones for 90 days (Sentry keeps outcomes 90 days). */
const RETENTION_SECONDS: Record<(typeof STATS_ROLLUPS)[number], number> = { 10: 86_400, 3600: 90 * 86_400 };
const PRUNE_EVERY_MS = 60_000;

export interface IngestParts {
  gate: IngestGate;
  keys: KeyCache;
  limiter: RateLimiter;
  stats: KeyStatsRecorder;
  recent: RecentEvents;
  metrics: IngestMetrics;
  /** The durable delivery queue, and the worker that empties it into the backends. */
  spool: Spool;
  delivery: DeliveryWorker;
  health: KeyHealthRecorder;
  alerts: KeyAlerts;
}

export class IngestRuntime {
  private timer: NodeJS.Timeout | undefined;
  private lastPrune = 0;
  private flushing: Promise<void> | undefined;
  private nextFlush: Promise<void> | undefined;

  constructor(
    readonly parts: IngestParts,
    private readonly db: Database,
    private readonly flushSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  get gate(): IngestGate {
    return this.parts.gate;
  }

  /**
   * Load every key into the key map (KeyCache.warm), settling when it holds them all. A server
   * starts this once it listens: requests are served meanwhile (a key not in yet is looked up on
   * its own), and the load does not hold back the start, whatever the number of keys.
   */
  warmKeys(): Promise<{ keys: number; ms: number } | undefined> {
    const started = performance.now();
    return this.parts.keys.warm().then(
      () => ({ keys: this.parts.keys.size, ms: Math.round(performance.now() - started) }),
      (error: unknown) => {
        // Each key is still looked up on its own; only the head start is lost.
        this.parts.gate.onError('loading the ingest key map failed; keys are looked up one by one', error);
        return undefined;
      },
    );
  }

  async start(): Promise<void> {
    await this.parts.spool.start();
    this.parts.delivery.onError = (message, error) => this.parts.gate.onError(message, error);
    this.parts.alerts.onError = (message, error) => this.parts.gate.onError(message, error);
    await this.parts.delivery.start();
    this.timer = setInterval(() => {
      this.flush().catch((error: unknown) => this.parts.gate.onError('writing ingest counters failed; retrying at the next flush', error));
    }, this.flushSeconds * 1000);
    this.timer.unref();
  }

  /**
   * Write the counted outcomes and recent events; one flush at a time. A call during a flush waits
   * for one more that starts after it: the running one took its counts before this call, so
   * joining it would leave the caller's latest counts unwritten.
   */
  flush(): Promise<void> {
    if (this.flushing) {
      this.nextFlush ??= this.flushing.catch(() => undefined).then(() => {
        this.nextFlush = undefined;
        return this.flush();
      });
      return this.nextFlush;
    }
    this.flushing = this.writeAll().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async writeAll(): Promise<void> {
    await this.db.bookkeepingTransaction((stores) => this.parts.stats.flush((deltas) => stores.keyStats.add(deltas)));
    await this.parts.recent.flush();
    await this.parts.health.flush(this.db.stores.keyHealth);
    const now = this.now();
    if (now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now;
      const seconds = Math.floor(now / 1000);
      for (const rollup of STATS_ROLLUPS) await this.db.stores.keyStats.prune(rollup, seconds - RETENTION_SECONDS[rollup]);
      await this.parts.limiter.prune?.(now);
      // Health answers the last 24 hours; a day more is kept for clocks a little apart.
      await this.db.stores.keyHealth.prune(seconds - 2 * 86_400, now);
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.parts.keys.close();
    // What was accepted is committed before the database closes; what is queued waits for the next start.
    await this.parts.spool.flush();
    this.parts.spool.close();
    await this.parts.delivery.stop();
    try {
      // Only a started runtime (a server) counts anything; a CLI command's services never started it.
      if (this.timer) await this.flush();
    } finally {
      await this.parts.limiter.close();
    }
  }
}
