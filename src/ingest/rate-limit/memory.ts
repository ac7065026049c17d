import { currentWindow, refused, type Quota, type RateLimitDecision, type RateLimiter } from './limiter.ts';

/** One instance: the counters in a map. Synchronous, so concurrent requests cannot interleave. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { slot: number; used: number }>();

  consume(quota: Quota, quantity: number, nowMs: number): RateLimitDecision {
    const { slot } = currentWindow(quota, nowMs);
    let counter = this.windows.get(quota.id);
    if (!counter || counter.slot !== slot) {
      counter = { slot, used: 0 };
      this.windows.set(quota.id, counter);
    }
    if (counter.used + quantity > quota.limit) return refused(quota, nowMs);
    counter.used += quantity;
    return { admitted: true };
  }

  refund(quota: Quota, quantity: number, nowMs: number): void {
    const counter = this.windows.get(quota.id);
    if (counter && counter.slot === currentWindow(quota, nowMs).slot) counter.used = Math.max(0, counter.used - quantity);
  }

  async close(): Promise<void> {}
}
