/**
 * A key's quotas over what a request carries, as Relay counts it: each envelope item by its data
 * category (attachments and log bytes in bytes, containers by `item_count`, the spans inside a
 * transaction), a quota naming several categories one counter for all of them. Quotas are checked
 * in order; items a quota refuses are left out, and what earlier quotas counted for them is given
 * back, so a refused item spends no quota anywhere. What remains is delivered and answered 200 with
 * `X-Sentry-Rate-Limits` naming what was left out; when nothing remains, the answer is 429.
 */
import { ERROR_CATEGORIES, itemQuantities, type Quantities } from '../domain/data-categories.ts';
import type { CompiledQuota } from '../domain/key-policy.ts';
import type { ReadBody } from './endpoints.ts';
import type { IngestKey } from './key-cache.ts';
import { KEY_QUOTA_CATEGORIES, keyQuota, type Quota, type RateLimitDecision } from './rate-limit/limiter.ts';

/** One countable part of a request: an envelope item, or the whole request for other endpoints. */
interface Unit {
  quantities: Quantities;
}

/** A quota as the gate applies it. */
export interface AppliedQuota {
  quota: Quota;
  categories: ReadonlySet<string>;
  /** `<cat;cat>` of X-Sentry-Rate-Limits. */
  header: string;
  /** Sentry's `rateLimit`: its quantity is the request's error events, as before quotas existed. */
  keyRateLimit: boolean;
}

export interface QuotaPlan {
  units: Unit[];
  quotas: AppliedQuota[];
}

const ERROR_SET: ReadonlySet<string> = new Set(ERROR_CATEGORIES);

/** Spans a transaction carries, the transaction's own root span included (Relay's span count). */
function transactionSpans(payload: Buffer): number {
  try {
    const spans = (JSON.parse(payload.toString('utf8')) as { spans?: unknown }).spans;
    return (Array.isArray(spans) ? spans.length : 0) + 1;
  } catch {
    return 1;
  }
}

function units(read: ReadBody, body: Buffer, countSpans: boolean): Unit[] {
  const envelope = read.envelope;
  if (!envelope) return [{ quantities: read.quantities }];
  return envelope.items.map((item) => {
    const quantities = itemQuantities({ type: item.type, itemCount: item.itemCount, length: item.payloadEnd - item.payloadStart, contentType: item.contentType });
    if (countSpans && item.type === 'transaction') quantities.push(['span', transactionSpans(body.subarray(item.payloadStart, item.payloadEnd))]);
    return { quantities };
  });
}

/** The quotas that apply to this key, and the request's parts; undefined when the key has none. */
export function quotaPlan(key: IngestKey, read: ReadBody, body: Buffer): QuotaPlan | undefined {
  const quotas: AppliedQuota[] = [];
  if (key.rateLimit && read.quantity > 0) {
    quotas.push({ quota: keyQuota({ id: key.id, organizationId: key.organizationId, rateLimit: key.rateLimit }), categories: ERROR_SET, header: KEY_QUOTA_CATEGORIES, keyRateLimit: true });
  }
  for (const q of key.policy?.quotas ?? []) quotas.push(fromPolicy(key, q));
  if (quotas.length === 0) return undefined;
  return { units: units(read, body, key.policy?.countsSpans ?? false), quotas };
}

function fromPolicy(key: IngestKey, q: CompiledQuota): AppliedQuota {
  return { quota: { id: q.id, keyId: key.id, organizationId: key.organizationId, limit: q.count, window: q.window }, categories: q.categories, header: q.header, keyRateLimit: false };
}

/** How much of a quota's categories a unit carries. */
export function unitQuantity(unit: Unit, categories: ReadonlySet<string>): number {
  let total = 0;
  for (const [category, quantity] of unit.quantities) if (categories.has(category)) total += quantity;
  return total;
}

/** What the quotas decided: the units left out, and the refusals to name in the answer. */
export interface QuotaOutcome {
  dropped: Set<number>;
  refusals: { header: string; retryAfter: number; quota: Quota; categories: readonly string[] }[];
  /** No unit that carries a category is left: the whole request is refused. */
  allRefused: boolean;
}

type Maybe<T> = T | Promise<T>;

export interface QuotaLimiter {
  consume(quota: Quota, quantity: number, nowMs: number): Maybe<RateLimitDecision>;
  refund(quota: Quota, quantity: number, nowMs: number): Maybe<void>;
}

/**
 * Apply the quotas in order. `errorEvents` is what Sentry's `rateLimit` counts (the request's
 * error events, crash reports included), for the units that carry an error category.
 */
export function applyQuotas(plan: QuotaPlan, errorEvents: number, limiter: QuotaLimiter, nowMs: number, alreadyDropped?: ReadonlySet<number>): Maybe<QuotaOutcome> {
  const dropped = new Set<number>(alreadyDropped);
  const refusals: QuotaOutcome['refusals'] = [];
  /** Per applied quota: what it counted for each unit. */
  const counted: Map<number, number>[] = [];

  const step = (index: number): Maybe<QuotaOutcome> => {
    if (index === plan.quotas.length) return finish();
    const applied = plan.quotas[index]!;
    const perUnit = new Map<number, number>();
    plan.units.forEach((unit, u) => {
      if (dropped.has(u)) return;
      const quantity = unitQuantity(unit, applied.categories);
      if (quantity > 0) perUnit.set(u, quantity);
    });
    // Sentry's rateLimit counts error events (a crash report's minidump is one) when no unit was left out.
    let quantity = [...perUnit.values()].reduce((a, b) => a + b, 0);
    if (applied.keyRateLimit && dropped.size === 0) {
      quantity = errorEvents;
      if (perUnit.size === 0) plan.units.forEach((_, u) => perUnit.set(u, 0));
    }
    counted.push(perUnit);
    if (quantity === 0) return step(index + 1);
    const decision = limiter.consume(applied.quota, quantity, nowMs);
    const decide = (d: RateLimitDecision): Maybe<QuotaOutcome> => {
      if (d.admitted) return step(index + 1);
      counted[index] = new Map();
      refusals.push({ header: applied.header, retryAfter: d.retryAfter, quota: applied.quota, categories: [...applied.categories] });
      for (const u of perUnit.keys()) dropped.add(u);
      return then(refundEarlier(index, perUnit), () => step(index + 1));
    };
    return decision instanceof Promise ? decision.then(decide) : decide(decision);
  };

  /** What quotas before `index` counted for the units now left out, given back. */
  const refundEarlier = (index: number, left: Map<number, number>): Maybe<void> => {
    const pending: Promise<void>[] = [];
    for (let i = 0; i < index; i++) {
      let back = 0;
      for (const u of left.keys()) back += counted[i]!.get(u) ?? 0;
      for (const u of left.keys()) counted[i]!.delete(u);
      if (back > 0) {
        const refunded = limiter.refund(plan.quotas[i]!.quota, back, nowMs);
        if (refunded instanceof Promise) pending.push(refunded);
      }
    }
    return pending.length > 0 ? Promise.all(pending).then(() => undefined) : undefined;
  };

  const finish = (): QuotaOutcome => {
    const carriesCategory = (u: number) => plan.units[u]!.quantities.length > 0;
    const left = plan.units.some((_, u) => !dropped.has(u) && carriesCategory(u));
    return { dropped, refusals, allRefused: refusals.length > 0 && !left };
  };

  return step(0);
}

function then<T, U>(value: Maybe<T>, next: (value: T) => Maybe<U>): Maybe<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
