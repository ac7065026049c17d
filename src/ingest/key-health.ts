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

/** A key's last accepted and refused requests, as epoch ms (-Infinity: none yet); formatted only when read or written. */
interface Activity {
  keyId: number;
  lastAcceptedMs: number;
  lastRefusedMs: number;
}

const REASON_INDEX = new Map<string, number>(REFUSAL_REASONS.map((reason, i) => [reason, i]));

const NONE = -Infinity;
const iso = (ms: number) => (ms === NONE ? null : new Date(ms).toISOString());

function activityDelta(a: Activity): ActivityDelta {
  return { keyId: a.keyId, lastAcceptedAt: iso(a.lastAcceptedMs), lastRefusedAt: iso(a.lastRefusedMs) };
}

/**
 * Counted per request without allocating: the activity keeps numbers (an ISO string each request
 * cost 0.5 µs), refusals are found by key, then by hour and reason as one number.
 */
export class KeyHealthRecorder {
  /** Per key: its refusals by `hour * 16 + reason index`. */
  private refusals = new Map<number, Map<number, RefusalDelta>>();
  private discards = new Map<string, DiscardDelta>();
  private activity = new Map<number, Activity>();
  private kindsPerKey = new Map<number, number>();

  accepted(keyId: number, nowMs: number): void {
    this.touch(keyId).lastAcceptedMs = nowMs;
  }

  refused(keyId: number, reason: RefusalReason, nowMs: number): void {
    this.touch(keyId).lastRefusedMs = nowMs;
    this.addRefusal(keyId, hourOf(nowMs), reason, 1);
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
    const activity = this.activity.get(keyId);
    return {
      refusals: [...(this.refusals.get(keyId)?.values() ?? [])].filter((d) => d.ts >= from),
      discards: [...this.discards.values()].filter((d) => d.keyId === keyId && d.ts >= from),
      activity: activity && activityDelta(activity),
    };
  }

  async flush(store: KeyHealthStore): Promise<void> {
    if (this.refusals.size === 0 && this.discards.size === 0 && this.activity.size === 0) return;
    const refusals: RefusalDelta[] = [];
    for (const ofKey of this.refusals.values()) refusals.push(...ofKey.values());
    const discards = [...this.discards.values()];
    const activity = [...this.activity.values()];
    this.refusals = new Map();
    this.discards = new Map();
    this.activity = new Map();
    this.kindsPerKey = new Map();
    try {
      await store.addRefusals(refusals);
      await store.addDiscards(discards);
      await store.touch(activity.map(activityDelta));
    } catch (error) {
      // Kept for the next flush, added to whatever was counted meanwhile.
      for (const d of refusals) this.addRefusal(d.keyId, d.ts, d.reason, d.count);
      for (const d of discards) this.discarded(d.keyId, [d], d.ts * 1000);
      for (const a of activity) this.merge(a);
      throw error;
    }
  }

  private addRefusal(keyId: number, ts: number, reason: string, count: number): void {
    let ofKey = this.refusals.get(keyId);
    if (ofKey === undefined) {
      ofKey = new Map();
      this.refusals.set(keyId, ofKey);
    }
    const index = REASON_INDEX.get(reason) ?? REFUSAL_REASONS.length;
    const id = ts * 16 + index;
    const delta = ofKey.get(id);
    if (delta) delta.count += count;
    else ofKey.set(id, { keyId, ts, reason, count });
  }

  private merge(a: Activity): void {
    const current = this.touch(a.keyId);
    if (a.lastAcceptedMs > current.lastAcceptedMs) current.lastAcceptedMs = a.lastAcceptedMs;
    if (a.lastRefusedMs > current.lastRefusedMs) current.lastRefusedMs = a.lastRefusedMs;
  }

  private touch(keyId: number): Activity {
    let activity = this.activity.get(keyId);
    if (activity === undefined) {
      activity = { keyId, lastAcceptedMs: NONE, lastRefusedMs: NONE };
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
