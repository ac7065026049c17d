import type { Redis } from 'ioredis';
import { currentWindow, refused, type Quota, type RateLimitDecision, type RateLimiter } from './limiter.ts';

/**
 * Relay's `is_rate_limited.lua` reduced to one quota: read the window's counter, refuse when the
 * request would pass the limit, otherwise add the whole quantity and set the expiry. Redis runs a
 * script atomically, so no two instances can both take the last unit.
 */
const SCRIPT = `
local limit = tonumber(ARGV[1])
local quantity = tonumber(ARGV[2])
local consumed = tonumber(redis.call('GET', KEYS[1]) or '0')
if consumed + quantity > limit then
  return 1
end
redis.call('INCRBY', KEYS[1], quantity)
redis.call('EXPIREAT', KEYS[1], ARGV[3])
return 0
`;

/** A refund: take back what was counted, never below zero. */
const REFUND = `
local left = redis.call('DECRBY', KEYS[1], tonumber(ARGV[1]))
if left < 0 then redis.call('SET', KEYS[1], 0, 'KEEPTTL') end
return 0
`;

type ScriptedRedis = Redis & {
  clientkeysRateLimit(key: string, limit: number, quantity: number, expireAt: number): Promise<number>;
  clientkeysRefund(key: string, quantity: number): Promise<number>;
};

/** ioredis is loaded with the first request it serves: processes without Redis (the CLI) never load it. */
async function connect(url: string): Promise<ScriptedRedis> {
  const { Redis } = await import('ioredis');
  // Fail fast rather than queue requests while Redis is away: ingest must not hang on it.
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: true });
  redis.defineCommand('clientkeysRateLimit', { numberOfKeys: 1, lua: SCRIPT });
  redis.defineCommand('clientkeysRefund', { numberOfKeys: 1, lua: REFUND });
  // Connection errors surface per call; an unhandled 'error' event would crash the process.
  redis.on('error', () => {});
  return redis as ScriptedRedis;
}

/** The hash tag keeps an organization's counters on one cluster node, as Relay's keys do; the quota's id tells a key's quotas apart. */
const counterKey = (quota: Quota, slot: number) => `quota:{${quota.organizationId}}${quota.id}:${slot}`;

export class RedisRateLimiter implements RateLimiter {
  private redis: ScriptedRedis | Promise<ScriptedRedis> | undefined;
  private closed = false;

  constructor(private readonly url: string) {}

  async consume(quota: Quota, quantity: number, nowMs: number): Promise<RateLimitDecision> {
    const { slot, end } = currentWindow(quota, nowMs);
    const key = counterKey(quota, slot);
    const redis = await this.client();
    const rejected = await redis.clientkeysRateLimit(key, quota.limit, quantity, end + 60);
    return rejected === 0 ? { admitted: true } : refused(quota, nowMs);
  }

  async refund(quota: Quota, quantity: number, nowMs: number): Promise<void> {
    const redis = await this.client();
    await redis.clientkeysRefund(counterKey(quota, currentWindow(quota, nowMs).slot), quantity);
  }

  async close(): Promise<void> {
    this.closed = true;
    const redis = await this.redis;
    redis?.disconnect();
  }

  private client(): ScriptedRedis | Promise<ScriptedRedis> {
    if (this.closed) throw new Error('the Redis rate limiter is closed');
    this.redis ??= connect(this.url).then((redis) => (this.redis = redis));
    return this.redis;
  }
}
