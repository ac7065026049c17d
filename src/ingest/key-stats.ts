/**
 * Per-key outcome counts for the stats endpoint. Counting happens in memory on the hot path and is
 * written to the database every STATS_FLUSH_SECONDS by adding to the stored buckets, so several
 * instances can share rows. A crash loses at most the counts of the last interval; a failed write
 * keeps its counts for the next one. Reads add this instance's unwritten counts, so its own
 * answers are exact at once.
 */
import type { KeyStatsDelta, KeyStatsStore } from '../storage/stores/key-stats.ts';

/** The buckets kept: 10 s (Sentry's finest tsdb rollup) and 1 h (1 d answers sum 24 of them). */
export const STATS_ROLLUPS = [10, 3600] as const;

export type StatsOutcome = 'accepted' | 'dropped' | 'filtered';

export class KeyStatsRecorder {
  private pending = new Map<string, KeyStatsDelta>();
  /** The write under way, if any; readers wait for it so no count is seen twice or not at all. */
  private inflight: Promise<void> | undefined;
  /** Writes started, so a reader can tell that a batch may have moved into the database under it. */
  writesStarted = 0;

  constructor(private readonly store: KeyStatsStore) {}

  record(keyId: number, outcome: StatsOutcome, quantity: number, nowMs: number): void {
    const now = Math.floor(nowMs / 1000);
    for (const rollup of STATS_ROLLUPS) {
      const ts = now - (now % rollup);
      const id = `${keyId}:${rollup}:${ts}`;
      let delta = this.pending.get(id);
      if (!delta) {
        delta = { keyId, rollup, ts, accepted: 0, dropped: 0, filtered: 0 };
        this.pending.set(id, delta);
      }
      delta[outcome] += quantity;
    }
  }

  /** Unwritten counts of one key and rollup in `[from, to)`. */
  unwritten(keyId: number, rollup: number, from: number, to: number): KeyStatsDelta[] {
    return [...this.pending.values()].filter(
      (d) => d.keyId === keyId && d.rollup === rollup && d.ts >= from && d.ts < to,
    );
  }

  /** Resolves when no write is under way. */
  async settled(): Promise<void> {
    while (this.inflight) await this.inflight.catch(() => undefined);
  }

  async flush(write: (deltas: KeyStatsDelta[]) => Promise<void> = (d) => this.store.add(d)): Promise<void> {
    await this.settled();
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.writesStarted += 1;
    const writing = write([...batch.values()]);
    this.inflight = writing;
    try {
      await writing;
    } catch (error) {
      // Put the counts back, added to whatever arrived meanwhile; the next flush tries again.
      for (const [id, delta] of batch) {
        const current = this.pending.get(id);
        if (current) {
          current.accepted += delta.accepted;
          current.dropped += delta.dropped;
          current.filtered += delta.filtered;
        } else {
          this.pending.set(id, delta);
        }
      }
      throw error;
    } finally {
      this.inflight = undefined;
    }
  }
}
