/**
 * `X-Sentry-Rate-Limits` as Relay writes and reads it (relay-quotas `RateLimits`, relay-server
 * utils/rate_limits.rs `parse_rate_limits`): comma-separated limits of
 * `<retry after>:<categories>:<scope>[:<reason code>[:<namespaces>]]`, categories `;`-separated,
 * none meaning every category. What an upstream answers is read with it; what clientkeys answers is
 * written with it.
 */

export interface RateLimit {
  /** Seconds from when it was read. */
  retryAfter: number;
  /** Data categories; empty: all of them. */
  categories: string[];
  scope: string;
  reasonCode: string | undefined;
}

const MAX_LIMITS = 50;

export function parseRateLimitsHeader(header: string): RateLimit[] {
  const limits: RateLimit[] = [];
  for (const part of header.split(',').slice(0, MAX_LIMITS)) {
    const [retry, categories = '', scope = 'organization', reasonCode] = part.trim().split(':');
    const retryAfter = Number.parseFloat(retry ?? '');
    if (!Number.isFinite(retryAfter) || retryAfter <= 0) continue;
    limits.push({
      retryAfter: Math.min(retryAfter, 86_400),
      categories: categories.split(';').map((c) => c.trim()).filter(Boolean),
      scope,
      reasonCode: reasonCode || undefined,
    });
  }
  return limits;
}

export function formatRateLimit(limit: RateLimit): string {
  const retry = Math.max(1, Math.ceil(limit.retryAfter));
  return `${retry}:${limit.categories.join(';')}:${limit.scope}${limit.reasonCode ? `:${limit.reasonCode}` : ''}`;
}

/** `Retry-After` in seconds (delay-seconds form; an HTTP date is read too). */
export function parseRetryAfter(header: string | null | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 86_400);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.min(Math.max(0, (date - now) / 1000), 86_400) : undefined;
}
