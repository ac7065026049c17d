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

/** A key's open buckets: the hot path adds to them without building a map key per event. */
interface OpenBuckets {
  deltas: KeyStatsDelta[];
}

export class KeyStatsRecorder {
  private pending = new Map<string, KeyStatsDelta>();
  private open = new Map<number, OpenBuckets>();
  /** The write under way, if any; readers wait for it so no count is seen twice or not at all. */
  private inflight: Promise<void> | undefined;
  /** Writes started, so a reader can tell that a batch may have moved into the database under it. */
  writesStarted = 0;

  constructor(private readonly store: KeyStatsStore) {}

  record(keyId: number, outcome: StatsOutcome, quantity: number, nowMs: number): void {
    const now = Math.floor(nowMs / 1000);
    let open = this.open.get(keyId);
    if (!open) {
      open = { deltas: [] };
      this.open.set(keyId, open);
    }
    for (let i = 0; i < STATS_ROLLUPS.length; i += 1) {
      const rollup = STATS_ROLLUPS[i] as number;
      const ts = now - (now % rollup);
      let delta = open.deltas[i];
      if (!delta || delta.ts !== ts) {
        delta = this.bucket(keyId, rollup, ts);
        open.deltas[i] = delta;
      }
      delta[outcome] += quantity;
    }
  }

  /** The pending delta of a bucket, created when it is the first count in it since the last write. */
  private bucket(keyId: number, rollup: number, ts: number): KeyStatsDelta {
    const id = `${keyId}:${rollup}:${ts}`;
    let delta = this.pending.get(id);
    if (!delta) {
      delta = { keyId, rollup, ts, accepted: 0, dropped: 0, filtered: 0 };
      this.pending.set(id, delta);
    }
    return delta;
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
    // Open buckets point into the batch being written: the next count starts new deltas.
    this.open = new Map();
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
