/**
 * Key health (clientkeys): per key, when a request last got through and when one was last
 * refused, refusals by reason, and what the SDKs reported dropping themselves (`client_report`
 * items). Counted in memory on the hot path and added to the database with the key stats, so it
 * costs no round trip per request and instances' counts sum up. Reads add this instance's
 * unwritten counts, so its own answers are exact at once.
 */
import type { ActivityDelta, DiscardDelta, KeyHealthStore, RefusalDelta } from '../storage/stores/key-health.ts';

/** Every reason the health endpoint names, even at 0. */
export const REFUSAL_REASONS = ['disabled', 'expired', 'project_mismatch', 'origin', 'ip', 'rate_limited', 'too_large', 'invalid', 'queue_full'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

const HOUR = 3600;
/** What of a client report is kept: reasons and categories are short names in every SDK. */
const MAX_NAME_LENGTH = 64;
/** Distinct (reason, category) pairs counted per key and hour; more are SDK noise, not news. */
const MAX_DISCARD_KINDS = 64;

export interface ClientDiscard {
  reason: string;
  category: string;
  quantity: number;
}

const hourOf = (nowMs: number) => {
  const s = Math.floor(nowMs / 1000);
  return s - (s % HOUR);
};

export class KeyHealthRecorder {
  private refusals = new Map<string, RefusalDelta>();
  private discards = new Map<string, DiscardDelta>();
  private activity = new Map<number, ActivityDelta>();
  private kindsPerKey = new Map<number, number>();

  accepted(keyId: number, nowMs: number): void {
    this.touch(keyId).lastAcceptedAt = new Date(nowMs).toISOString();
  }

  refused(keyId: number, reason: RefusalReason, nowMs: number): void {
    this.touch(keyId).lastRefusedAt = new Date(nowMs).toISOString();
    const ts = hourOf(nowMs);
    const id = `${keyId}:${ts}:${reason}`;
    const delta = this.refusals.get(id);
    if (delta) delta.count += 1;
    else this.refusals.set(id, { keyId, ts, reason, count: 1 });
  }

  discarded(keyId: number, discards: readonly ClientDiscard[], nowMs: number): void {
    const ts = hourOf(nowMs);
    for (const { reason, category, quantity } of discards) {
      const id = `${keyId}:${ts}:${reason}:${category}`;
      const delta = this.discards.get(id);
      if (delta) {
        delta.quantity += quantity;
        continue;
      }
      const kinds = this.kindsPerKey.get(keyId) ?? 0;
      if (kinds >= MAX_DISCARD_KINDS) continue;
      this.kindsPerKey.set(keyId, kinds + 1);
      this.discards.set(id, { keyId, ts, reason, category, quantity });
    }
  }

  /** This instance's unwritten counts of one key since `from` (unix seconds). */
  unwritten(keyId: number, from: number): { refusals: RefusalDelta[]; discards: DiscardDelta[]; activity: ActivityDelta | undefined } {
    return {
      refusals: [...this.refusals.values()].filter((d) => d.keyId === keyId && d.ts >= from),
      discards: [...this.discards.values()].filter((d) => d.keyId === keyId && d.ts >= from),
      activity: this.activity.get(keyId),
    };
  }

  async flush(store: KeyHealthStore): Promise<void> {
    if (this.refusals.size === 0 && this.discards.size === 0 && this.activity.size === 0) return;
    const refusals = [...this.refusals.values()];
    const discards = [...this.discards.values()];
    const activity = [...this.activity.values()];
    this.refusals = new Map();
    this.discards = new Map();
    this.activity = new Map();
    this.kindsPerKey = new Map();
    try {
      await store.addRefusals(refusals);
      await store.addDiscards(discards);
      await store.touch(activity);
    } catch (error) {
      // Kept for the next flush, added to whatever was counted meanwhile.
      for (const d of refusals) this.addRefusal(d);
      for (const d of discards) this.discarded(d.keyId, [d], d.ts * 1000);
      for (const a of activity) this.merge(a);
      throw error;
    }
  }

  private addRefusal(d: RefusalDelta): void {
    const id = `${d.keyId}:${d.ts}:${d.reason}`;
    const delta = this.refusals.get(id);
    if (delta) delta.count += d.count;
    else this.refusals.set(id, { ...d });
  }

  private merge(a: ActivityDelta): void {
    const current = this.touch(a.keyId);
    if (a.lastAcceptedAt && (!current.lastAcceptedAt || a.lastAcceptedAt > current.lastAcceptedAt)) current.lastAcceptedAt = a.lastAcceptedAt;
    if (a.lastRefusedAt && (!current.lastRefusedAt || a.lastRefusedAt > current.lastRefusedAt)) current.lastRefusedAt = a.lastRefusedAt;
  }

  private touch(keyId: number): ActivityDelta {
    let activity = this.activity.get(keyId);
    if (!activity) {
      activity = { keyId, lastAcceptedAt: null, lastRefusedAt: null };
      this.activity.set(keyId, activity);
    }
    return activity;
  }
}

/**
 * The `discarded_events` of a client report item (develop.sentry.dev/sdk/telemetry/client-reports/),
 * read leniently and bounded: at most 50 entries, short names, positive integer quantities.
 */
export function clientReportDiscards(payload: Buffer): ClientDiscard[] {
  let report: { discarded_events?: unknown };
  try {
    report = JSON.parse(payload.toString('utf8')) as { discarded_events?: unknown };
  } catch {
    return [];
  }
  if (!Array.isArray(report?.discarded_events)) return [];
  const discards: ClientDiscard[] = [];
  for (const entry of report.discarded_events.slice(0, 50)) {
    const { reason, category, quantity } = (entry ?? {}) as Record<string, unknown>;
    if (typeof reason !== 'string' || typeof category !== 'string' || typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity <= 0) continue;
    discards.push({ reason: reason.slice(0, MAX_NAME_LENGTH), category: category.slice(0, MAX_NAME_LENGTH), quantity: Math.min(quantity, 1_000_000_000) });
  }
  return discards;
}
