/**
 * Per-key quotas as Relay enforces them (relay-quotas): a fixed window of `window` seconds whose
 * start is shifted by `organization_id % window` to spread window ends, `count` events admitted
 * per window, all or nothing per request, never one more. Implementations differ only in where
 * the counters live (this process, the database, Redis); the composition root picks one.
 */

export interface Quota {
  /** Identity of the counter: the key and its window, so a changed window starts afresh. */
  id: string;
  keyId: number;
  organizationId: number;
  limit: number;
  window: number;
}

export type RateLimitDecision = { admitted: true } | { admitted: false; retryAfter: number };

export interface RateLimiter {
  /** Count `quantity` events against the quota's current window if they all fit; refuse them all otherwise. */
  consume(quota: Quota, quantity: number, nowMs: number): RateLimitDecision | Promise<RateLimitDecision>;
  /**
   * Give back `quantity` counted in the current window: items one quota admitted and another then
   * refused are not delivered, and must not count (a refused envelope spends no quota).
   */
  refund(quota: Quota, quantity: number, nowMs: number): void | Promise<void>;
  /** Delete counters of windows long gone, where they outlive the process. */
  prune?(nowMs: number): Promise<void>;
  close(): Promise<void>;
}

export function keyQuota(key: { id: number; organizationId: number; rateLimit: { count: number; window: number } }): Quota {
  return {
    id: `k:${key.id}:${key.rateLimit.window}`,
    keyId: key.id,
    organizationId: key.organizationId,
    limit: key.rateLimit.count,
    window: key.rateLimit.window,
  };
}

/** The window containing `nowMs`: its number and its end in unix seconds (Relay's `slot` arithmetic). */
export function currentWindow(quota: Quota, nowMs: number): { slot: number; end: number } {
  const shift = quota.organizationId % quota.window;
  const now = Math.floor(nowMs / 1000);
  const slot = Math.floor((now - shift) / quota.window);
  return { slot, end: (slot + 1) * quota.window + shift };
}

/** Seconds until the window ends, any sub-second remainder rounded up (`remaining_seconds`). */
export function retryAfter(windowEnd: number, nowMs: number): number {
  return Math.max(1, Math.ceil(windowEnd - nowMs / 1000));
}

export function refused(quota: Quota, nowMs: number): RateLimitDecision {
  return { admitted: false, retryAfter: retryAfter(currentWindow(quota, nowMs).end, nowMs) };
}

/** Sentry's key quota covers `DataCategory.error_categories()`, named as Relay formats them. */
export const KEY_QUOTA_CATEGORIES = 'default;error;security';

/** `X-Sentry-Rate-Limits` in Relay's grammar: `<retry>:<categories>:<scope>:<reason>`. */
export function rateLimitsHeader(retryAfterSeconds: number): string {
  return `${retryAfterSeconds}:${KEY_QUOTA_CATEGORIES}:key:key_quota`;
}

/**
 * Relay keeps refusals in memory and answers from them until the window ends, before any round
 * trip to shared counters; so does this wrapper around the database and Redis limiters.
 */
export class CachedRefusals implements RateLimiter {
  /** Per quota: the end of the window it was refused in, and the limit it was refused under. */
  private readonly refusals = new Map<string, { until: number; limit: number }>();

  constructor(private readonly inner: RateLimiter) {}

  consume(quota: Quota, quantity: number, nowMs: number): RateLimitDecision | Promise<RateLimitDecision> {
    const refusal = this.refusals.get(quota.id);
    if (refusal !== undefined) {
      // A raised limit asks the shared counters again at once.
      if (nowMs < refusal.until * 1000 && quota.limit <= refusal.limit) return { admitted: false, retryAfter: retryAfter(refusal.until, nowMs) };
      this.refusals.delete(quota.id);
    }
    const decision = this.inner.consume(quota, quantity, nowMs);
    return decision instanceof Promise ? decision.then((d) => this.remember(quota, d, nowMs)) : this.remember(quota, decision, nowMs);
  }

  refund(quota: Quota, quantity: number, nowMs: number): void | Promise<void> {
    // Room was made: the next request asks the shared counters again.
    this.refusals.delete(quota.id);
    return this.inner.refund(quota, quantity, nowMs);
  }

  private remember(quota: Quota, decision: RateLimitDecision, nowMs: number): RateLimitDecision {
    if (!decision.admitted) this.refusals.set(quota.id, { until: currentWindow(quota, nowMs).end, limit: quota.limit });
    return decision;
  }

  async prune(nowMs: number): Promise<void> {
    await this.inner.prune?.(nowMs);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
