/**
 * `GET …/keys/{key_id}/health/` (clientkeys): whether a key is used and whether it works — when a
 * request last got through and was last refused, refusals by reason over the last 24 hours (every
 * reason, 0 included), and what the SDKs reported dropping themselves. The database's counts plus
 * this instance's unwritten ones.
 */
import { REFUSAL_REASONS, type KeyHealthRecorder, type RefusalReason } from '../ingest/key-health.ts';
import type { ProjectKeyRow } from '../storage/schema.ts';
import type { KeyHealthStore } from '../storage/stores/key-health.ts';

export interface KeyHealthJson {
  lastAccepted: string | null;
  lastRefused: string | null;
  refused: Record<RefusalReason, number>;
  clientDiscarded: { reason: string; category: string; quantity: number }[];
}

const DAY = 86_400;

const later = (a: string | null | undefined, b: string | null | undefined) => (!a ? (b ?? null) : !b ? a : a > b ? a : b);

export class KeyHealthService {
  constructor(
    private readonly store: KeyHealthStore,
    private readonly recorder: KeyHealthRecorder,
    private readonly now: () => number = Date.now,
  ) {}

  async health(key: ProjectKeyRow): Promise<KeyHealthJson> {
    const now = Math.floor(this.now() / 1000);
    // Hour buckets: the one 24 hours back is partly older, the current one partly to come.
    const from = now - (now % 3600) - (DAY - 3600);
    const mine = this.recorder.unwritten(key.id, from);
    const [refusals, discards, activity] = await Promise.all([this.store.refusals(key.id, from), this.store.discards(key.id, from), this.store.activity(key.id)]);
    const refused = Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0])) as Record<RefusalReason, number>;
    for (const { reason, count } of [...refusals, ...mine.refusals]) if (reason in refused) refused[reason as RefusalReason] += count;
    const dropped = new Map<string, { reason: string; category: string; quantity: number }>();
    for (const { reason, category, quantity } of [...discards, ...mine.discards]) {
      const id = `${reason}\0${category}`;
      const entry = dropped.get(id);
      if (entry) entry.quantity += quantity;
      else dropped.set(id, { reason, category, quantity });
    }
    return {
      lastAccepted: later(activity?.last_accepted_at, mine.activity?.lastAcceptedAt),
      lastRefused: later(activity?.last_refused_at, mine.activity?.lastRefusedAt),
      refused,
      clientDiscarded: [...dropped.values()].sort((a, b) => a.reason.localeCompare(b.reason) || a.category.localeCompare(b.category)),
    };
  }
}
