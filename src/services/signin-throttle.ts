/**
 * The sign-in throttle: attempts counted per key (an email address, a client IP) in fixed windows.
 * Behind an interface so the counters can live elsewhere; the default keeps them in the database,
 * so every instance on one PostgreSQL counts the same attempts.
 */
import { isoMicros } from '../domain/time.ts';
import type { SignInAttemptStore } from '../storage/stores/signin-attempts.ts';

export interface ThrottleVerdict {
  limited: boolean;
  /** Seconds until the window ends (for Retry-After). */
  retryAfterSeconds: number;
}

export interface SignInThrottle {
  /** Count one attempt under `key`; limited once the window holds more than `limit`. */
  hit(key: string, limit: number): Promise<ThrottleVerdict>;
  /** Forget `key`'s attempts (after a successful sign-in). */
  clear(key: string): Promise<void>;
  /** Drop windows that are over. */
  sweep(): Promise<void>;
}

export class DatabaseSignInThrottle implements SignInThrottle {
  constructor(
    private readonly store: SignInAttemptStore,
    private readonly windowSeconds: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async hit(key: string, limit: number): Promise<ThrottleVerdict> {
    const now = this.clock();
    const result = await this.store.hit(key, iso(now), iso(now + this.windowSeconds * 1000));
    return {
      limited: result.count > limit,
      retryAfterSeconds: Math.max(1, Math.ceil((Date.parse(result.window_end) - now) / 1000)),
    };
  }

  clear(key: string): Promise<void> {
    return this.store.clear(key);
  }

  sweep(): Promise<void> {
    return this.store.deleteExpired(iso(this.clock()));
  }
}

function iso(millis: number): string {
  return isoMicros(BigInt(millis) * 1000n);
}
