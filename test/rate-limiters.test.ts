/** The limiters' own rules, without HTTP: windows, all-or-nothing, cached refusals. */
import { describe, expect, it } from 'vitest';
import { CachedRefusals, currentWindow, rateLimitsHeader, type Quota, type RateLimitDecision, type RateLimiter } from '../src/ingest/rate-limit/limiter.ts';
import { MemoryRateLimiter } from '../src/ingest/rate-limit/memory.ts';

const quota = (limit: number, window = 60, organizationId = 7): Quota => ({ id: `k:1:${window}`, keyId: 1, organizationId, limit, window });
const T = Date.UTC(2026, 10, 23, 12, 0, 0);

describe('fixed windows as Relay cuts them', () => {
  it('shifts window starts by organization_id % window and rounds Retry-After up', () => {
    // 12:00:00 with a shift of 7 s: the window began at 11:59:07 and ends at 12:00:07.
    expect(currentWindow(quota(1, 60, 7), T).end).toBe(T / 1000 + 7);
    const limiter = new MemoryRateLimiter();
    expect(limiter.consume(quota(1), 1, T)).toEqual({ admitted: true });
    expect(limiter.consume(quota(1), 1, T + 500)).toEqual({ admitted: false, retryAfter: 7 });
    expect(rateLimitsHeader(7)).toBe('7:default;error;security:key:key_quota');
    expect(limiter.consume(quota(1), 1, T + 7000)).toEqual({ admitted: true });
  });

  it('admits all of a request or none of it', () => {
    const limiter = new MemoryRateLimiter();
    expect(limiter.consume(quota(3), 2, T)).toEqual({ admitted: true });
    expect(limiter.consume(quota(3), 2, T).admitted).toBe(false);
    expect(limiter.consume(quota(3), 1, T)).toEqual({ admitted: true });
    expect(limiter.consume(quota(3), 1, T).admitted).toBe(false);
  });
});

describe('cached refusals', () => {
  class Counting implements RateLimiter {
    calls = 0;
    constructor(private readonly inner = new MemoryRateLimiter()) {}
    async consume(q: Quota, n: number, now: number): Promise<RateLimitDecision> {
      this.calls += 1;
      return this.inner.consume(q, n, now);
    }
    async refund(q: Quota, n: number, now: number): Promise<void> {
      this.inner.refund(q, n, now);
    }
    async close() {}
  }

  it('answer from memory until the window ends, unless the limit was raised', async () => {
    const inner = new Counting();
    const limiter = new CachedRefusals(inner);
    expect(await limiter.consume(quota(1), 1, T)).toEqual({ admitted: true });
    expect((await limiter.consume(quota(1), 1, T)).admitted).toBe(false);
    expect(limiter.consume(quota(1), 1, T + 1000)).toEqual({ admitted: false, retryAfter: 6 });
    expect(inner.calls).toBe(2);
    expect(await limiter.consume(quota(2), 1, T + 1000)).toEqual({ admitted: true });
    expect(inner.calls).toBe(3);
    expect(await limiter.consume(quota(2), 1, T + 7000)).toEqual({ admitted: true });
  });
});
