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
  const items = envelope.items;
  const result: Unit[] = new Array<Unit>(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const quantities = itemQuantities({ type: item.type, itemCount: item.itemCount, length: item.payloadEnd - item.payloadStart, contentType: item.contentType });
    if (countSpans && item.type === 'transaction') quantities.push(['span', transactionSpans(body.subarray(item.payloadStart, item.payloadEnd))]);
    result[i] = { quantities };
  }
  return result;
}

/** A key's quotas as applied, built once per key (a changed key is a new IngestKey, so this dies with it). */
interface KeyQuotas {
  /** Sentry's `rateLimit` first, then the policy's quotas. */
  withRateLimit: AppliedQuota[];
  /** The policy's quotas alone (a request without error events, or a key without `rateLimit`). */
  policyOnly: AppliedQuota[];
}

const keyQuotas = new WeakMap<IngestKey, KeyQuotas>();

function quotasOf(key: IngestKey): KeyQuotas {
  let quotas = keyQuotas.get(key);
  if (quotas === undefined) {
    const policyOnly = (key.policy?.quotas ?? []).map((q) => fromPolicy(key, q));
    const withRateLimit = key.rateLimit
      ? [{ quota: keyQuota({ id: key.id, organizationId: key.organizationId, rateLimit: key.rateLimit }), categories: ERROR_SET, header: KEY_QUOTA_CATEGORIES, keyRateLimit: true }, ...policyOnly]
      : policyOnly;
    quotas = { withRateLimit, policyOnly };
    keyQuotas.set(key, quotas);
  }
  return quotas;
}

/** The quotas that apply to this key, and the request's parts (counted once, for every quota); undefined when the key has none. */
export function quotaPlan(key: IngestKey, read: ReadBody, body: Buffer): QuotaPlan | undefined {
  const policy = key.policy;
  const rateLimited = key.rateLimit !== null && read.quantity > 0;
  if (!rateLimited && (policy === undefined || policy.quotas.length === 0)) return undefined;
  const quotas = quotasOf(key);
  return { units: units(read, body, policy?.countsSpans ?? false), quotas: rateLimited ? quotas.withRateLimit : quotas.policyOnly };
}

function fromPolicy(key: IngestKey, q: CompiledQuota): AppliedQuota {
  return { quota: { id: q.id, keyId: key.id, organizationId: key.organizationId, limit: q.count, window: q.window }, categories: q.categories, header: q.header, keyRateLimit: false };
}

/** How much of a quota's categories a unit carries. */
export function unitQuantity(unit: Unit, categories: ReadonlySet<string>): number {
  let total = 0;
  const quantities = unit.quantities;
  for (let i = 0; i < quantities.length; i++) {
    const entry = quantities[i]!;
    if (categories.has(entry[0])) total += entry[1];
  }
  return total;
}

/** What the quotas decided: the units left out, and the refusals to name in the answer. */
export interface QuotaOutcome {
  dropped: Set<number>;
  refusals: { header: string; retryAfter: number; quota: Quota; categories: readonly string[] }[];
  /** No unit that carries a category is left: the whole request is refused. */
  allRefused: boolean;
}

/** Every quota admitted: one answer for all such requests (nothing reads or changes its parts). */
const ADMITTED: QuotaOutcome = Object.freeze({ dropped: new Set<number>(), refusals: [], allRefused: false }) as QuotaOutcome;

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
  return new QuotaRun(plan, errorEvents, limiter, nowMs, alreadyDropped).from(0);
}

/** NOT_COUNTED in `counted`: the unit is not among what that quota counted. */
const NOT_COUNTED = -1;

/** One request's pass over its quotas: no closure unless a limiter makes it wait. */
class QuotaRun {
  /** Units left out so far; created when there is one. */
  private dropped: Set<number> | undefined;
  private refusals: QuotaOutcome['refusals'] | undefined;
  /** Per applied quota (row) and unit (column): what the quota counted for the unit, or NOT_COUNTED. */
  private readonly counted: number[];

  constructor(
    private readonly plan: QuotaPlan,
    private readonly errorEvents: number,
    private readonly limiter: QuotaLimiter,
    private readonly nowMs: number,
    alreadyDropped: ReadonlySet<number> | undefined,
  ) {
    this.dropped = alreadyDropped && alreadyDropped.size > 0 ? new Set(alreadyDropped) : undefined;
    this.counted = new Array<number>(plan.quotas.length * plan.units.length).fill(NOT_COUNTED);
  }

  from(index: number): Maybe<QuotaOutcome> {
    const quotas = this.plan.quotas;
    for (let i = index; i < quotas.length; i++) {
      const quantity = this.count(i);
      if (quantity === 0) continue;
      const decision = this.limiter.consume(quotas[i]!.quota, quantity, this.nowMs);
      if (decision instanceof Promise) return decision.then((d) => this.decided(i, d));
      if (!decision.admitted) {
        const refunded = this.refuse(i, decision.retryAfter);
        if (refunded !== undefined) return refunded.then(() => this.from(i + 1));
      }
    }
    return this.finish();
  }

  private decided(index: number, decision: RateLimitDecision): Maybe<QuotaOutcome> {
    if (!decision.admitted) {
      const refunded = this.refuse(index, decision.retryAfter);
      if (refunded !== undefined) return refunded.then(() => this.from(index + 1));
    }
    return this.from(index + 1);
  }

  /** Fill quota `index`'s row; the quantity it consumes. */
  private count(index: number): number {
    const { units, quotas } = this.plan;
    const applied = quotas[index]!;
    const dropped = this.dropped;
    const n = units.length;
    const row = index * n;
    let total = 0;
    let members = 0;
    for (let u = 0; u < n; u++) {
      if (dropped !== undefined && dropped.has(u)) continue;
      const quantity = unitQuantity(units[u]!, applied.categories);
      if (quantity > 0) {
        this.counted[row + u] = quantity;
        total += quantity;
        members++;
      }
    }
    // Sentry's rateLimit counts error events (a crash report's minidump is one) when no unit was left out.
    if (applied.keyRateLimit && (dropped === undefined || dropped.size === 0)) {
      total = this.errorEvents;
      if (members === 0) for (let u = 0; u < n; u++) this.counted[row + u] = 0;
    }
    return total;
  }

  /** Quota `index` refused: its units are left out, and what earlier quotas counted for them is given back. */
  private refuse(index: number, retryAfter: number): Promise<void> | undefined {
    const { units, quotas } = this.plan;
    const applied = quotas[index]!;
    const n = units.length;
    const row = index * n;
    const counted = this.counted;
    (this.refusals ??= []).push({ header: applied.header, retryAfter, quota: applied.quota, categories: [...applied.categories] });
    const dropped = (this.dropped ??= new Set());
    let pending: Promise<void>[] | undefined;
    for (let i = 0; i < index; i++) {
      let back = 0;
      for (let u = 0; u < n; u++) {
        if (counted[row + u] === NOT_COUNTED) continue;
        const earlier = counted[i * n + u]!;
        if (earlier === NOT_COUNTED) continue;
        back += earlier;
        counted[i * n + u] = NOT_COUNTED;
      }
      if (back > 0) {
        const refunded = this.limiter.refund(quotas[i]!.quota, back, this.nowMs);
        if (refunded instanceof Promise) (pending ??= []).push(refunded);
      }
    }
    for (let u = 0; u < n; u++) {
      if (counted[row + u] === NOT_COUNTED) continue;
      dropped.add(u);
      counted[row + u] = NOT_COUNTED;
    }
    return pending !== undefined ? Promise.all(pending).then(() => undefined) : undefined;
  }

  private finish(): QuotaOutcome {
    const refusals = this.refusals;
    if (refusals === undefined) return ADMITTED;
    const dropped = this.dropped ?? new Set<number>();
    const units = this.plan.units;
    let left = false;
    for (let u = 0; u < units.length && !left; u++) left = !dropped.has(u) && units[u]!.quantities.length > 0;
    return { dropped, refusals, allRefused: !left };
  }
}
