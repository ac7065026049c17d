/**
 * Management API rate limits as Sentry's RatelimitMiddleware applies them
 * (S:src/sentry/middleware/ratelimit.py, S:src/sentry/ratelimits/config.py): a fixed one-second
 * window per caller and endpoint. Endpoints that declare limits of their own keep them: the keys
 * list/create and the organization's project-keys (40/s in Sentry) allow API_RATE_LIMIT requests
 * (40 by default), a key's stats 20/s (never more than API_RATE_LIMIT); every other endpoint gets
 * Sentry's current open-source default group, SENTRY_RATELIMITER_DEFAULT = 999 with a concurrency
 * of 999 (S:src/sentry/conf/server.py). Concurrent requests are counted and reported, not enforced
 * (ENFORCE_CONCURRENT_RATE_LIMITS is off in Sentry too).
 */
import type { Principal } from './principal.ts';

/** Where window counts live: this process today; a shared store may implement it later. */
export interface RequestCounter {
  /** Count one request against `key` in the window ending at `windowEnd` (unix seconds); the count after it. */
  increment(key: string, windowEnd: number): number | Promise<number>;
  close(): Promise<void>;
}

export class MemoryRequestCounter implements RequestCounter {
  private readonly windows = new Map<string, { end: number; count: number }>();
  private readonly sweeper = setInterval(() => this.sweep(), 10_000);

  constructor() {
    this.sweeper.unref();
  }

  increment(key: string, windowEnd: number): number {
    const current = this.windows.get(key);
    if (!current || current.end !== windowEnd) {
      this.windows.set(key, { end: windowEnd, count: 1 });
      return 1;
    }
    current.count += 1;
    return current.count;
  }

  private sweep(): void {
    const now = Date.now() / 1000;
    for (const [key, window] of this.windows) if (window.end <= now) this.windows.delete(key);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }
}

export type RateLimitGroup = 'keys' | 'stats' | 'default';

/** Sentry's `SENTRY_RATELIMITER_DEFAULT` and `SENTRY_CONCURRENT_RATE_LIMIT_DEFAULT`. */
export const DEFAULT_LIMIT = 999;
export const CONCURRENT_LIMIT = 999;
/** ProjectKeyStatsEndpoint's own `rate_limits`: 20 requests a second. */
export const STATS_LIMIT = 20;
const WINDOW = 1;

export interface RateLimitVerdict {
  limited: boolean;
  limit: number;
  remaining: number;
  /** Unix seconds when the window ends. */
  reset: number;
  window: number;
  concurrentLimit: number;
  concurrentRemaining: number;
}

/** Sentry's rate-limit key: the user, else the API key or organization token, else the IP. */
export function callerKey(principal: Principal | undefined, ip: string): string {
  switch (principal?.kind) {
    case 'user-token':
    case 'session':
      return `user:${principal.user.id}`;
    case 'api-key':
      return `apikey:${principal.keyId}`;
    case 'org-token':
      return `orgtoken:${principal.tokenId}`;
    default:
      return `ip:${ip}`;
  }
}

export class ApiRateLimiter {
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly counter: RequestCounter,
    /** API_RATE_LIMIT: the key endpoints' limit; 0 turns every limit off. */
    private readonly keysLimit: number,
    private readonly clock: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.keysLimit > 0;
  }

  async check(caller: string, endpoint: string, group: RateLimitGroup): Promise<RateLimitVerdict> {
    const limit = this.limitOf(group);
    const now = this.clock() / 1000;
    const reset = (Math.floor(now / WINDOW) + 1) * WINDOW;
    const count = await this.counter.increment(`${caller} ${endpoint}`, reset);
    const concurrent = this.inFlight.get(caller) ?? 0;
    return {
      limited: count > limit,
      limit,
      remaining: Math.max(limit - count, 0),
      reset,
      window: WINDOW,
      concurrentLimit: CONCURRENT_LIMIT,
      concurrentRemaining: Math.max(CONCURRENT_LIMIT - concurrent, 0),
    };
  }

  private limitOf(group: RateLimitGroup): number {
    switch (group) {
      case 'keys':
        return this.keysLimit;
      case 'stats':
        return Math.min(STATS_LIMIT, this.keysLimit);
      case 'default':
        return Math.max(DEFAULT_LIMIT, this.keysLimit);
    }
  }

  /** Count a request as in flight until `finished` is called. */
  started(caller: string): () => void {
    this.inFlight.set(caller, (this.inFlight.get(caller) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.inFlight.get(caller) ?? 1) - 1;
      if (left > 0) this.inFlight.set(caller, left);
      else this.inFlight.delete(caller);
    };
  }

  close(): Promise<void> {
    return this.counter.close();
  }
}
