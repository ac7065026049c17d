import type { RateLimitCounterStore } from '../../storage/stores/rate-limit-counters.ts';
import { currentWindow, refused, type Quota, type RateLimitDecision, type RateLimiter } from './limiter.ts';

/**
 * Several instances without Redis: the counters in the database, one atomic conditional upsert
 * per admission (see RateLimitCounterStore), so instances together never admit more than the limit.
 */
export class DatabaseRateLimiter implements RateLimiter {
  constructor(private readonly counters: RateLimitCounterStore) {}

  async consume(quota: Quota, quantity: number, nowMs: number): Promise<RateLimitDecision> {
    const { slot, end } = currentWindow(quota, nowMs);
    // Keep a row one window past its end, for clocks a little apart between instances.
    const admitted = await this.counters.consume(quota.id, slot, quantity, quota.limit, end + quota.window);
    return admitted ? { admitted: true } : refused(quota, nowMs);
  }

  async refund(quota: Quota, quantity: number, nowMs: number): Promise<void> {
    await this.counters.refund(quota.id, currentWindow(quota, nowMs).slot, quantity);
  }

  /** Delete counters of windows long gone. */
  prune(nowMs: number): Promise<void> {
    return this.counters.prune(Math.floor(nowMs / 1000));
  }

  async close(): Promise<void> {}
}
