/**
 * Rate limits a backend answered (429 with `X-Sentry-Rate-Limits` or `Retry-After`), kept per
 * backend project until they expire and applied at the gate, as Relay applies its upstream's: an
 * SDK gets the same 429 and categories at once and backs off, instead of filling the queue with
 * events the backend would refuse.
 */
import { limitCovers, type Quantities } from '../domain/data-categories.ts';
import { formatRateLimit, parseRateLimitsHeader, parseRetryAfter, type RateLimit } from '../domain/rate-limits-header.ts';

interface Active {
  categories: string[];
  scope: string;
  reasonCode: string | undefined;
  /** Unix ms. */
  until: number;
}

/** The limits that stop a request: every one that covers any of its categories. */
export interface Limited {
  /** Categories of the request that are limited. */
  categories: Set<string>;
  /** The `X-Sentry-Rate-Limits` and `Retry-After` to answer with. */
  header: string;
  retryAfter: number;
}

const MAX_BACKENDS = 10_000;

export class UpstreamLimits {
  private readonly active = new Map<string, Active[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Learn from a backend's 429. Without a header naming categories, everything is limited. */
  learn(upstream: string, rateLimitsHeader: string | null, retryAfterHeader: string | null): void {
    const now = this.now();
    let limits: RateLimit[] = rateLimitsHeader ? parseRateLimitsHeader(rateLimitsHeader) : [];
    if (limits.length === 0) {
      const retryAfter = parseRetryAfter(retryAfterHeader, now) ?? 60;
      limits = [{ retryAfter, categories: [], scope: 'organization', reasonCode: undefined }];
    }
    if (!this.active.has(upstream) && this.active.size >= MAX_BACKENDS) this.active.delete(this.active.keys().next().value as string);
    const list = (this.active.get(upstream) ?? []).filter((limit) => limit.until > now);
    for (const limit of limits) list.push({ categories: limit.categories, scope: limit.scope, reasonCode: limit.reasonCode, until: now + limit.retryAfter * 1000 });
    this.active.set(upstream, list);
  }

  /** The backend's active limits over these categories, or undefined when none applies. */
  check(upstream: string, quantities: Quantities): Limited | undefined {
    const list = this.active.get(upstream);
    if (!list) return undefined;
    const now = this.now();
    const live = list.filter((limit) => limit.until > now);
    if (live.length === 0) {
      this.active.delete(upstream);
      return undefined;
    }
    const categories = new Set<string>();
    const applying: Active[] = [];
    for (const limit of live) {
      const covered = quantities.filter(([category]) => limitCovers(limit.categories, category)).map(([category]) => category);
      if (covered.length === 0) continue;
      applying.push(limit);
      for (const category of covered) categories.add(category);
    }
    if (applying.length === 0) return undefined;
    const header = applying
      .map((limit) => formatRateLimit({ retryAfter: (limit.until - now) / 1000, categories: limit.categories, scope: limit.scope, reasonCode: limit.reasonCode }))
      .join(', ');
    const retryAfter = Math.max(1, Math.ceil(Math.max(...applying.map((limit) => limit.until - now)) / 1000));
    return { categories, header, retryAfter };
  }
}
