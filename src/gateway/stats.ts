/**
 * What delivery did per project (delivered, refused, rate limited, the last error), counted in
 * memory and added to `upstream_stats` every second, so counting costs no query per event and
 * every instance's counts sum up.
 */
import type { Database } from '../storage/database.ts';
import type { UpstreamStatsDelta } from '../storage/stores/upstream-stats.ts';

const FLUSH_MS = 1000;

export class DeliveryStats {
  private deltas = new Map<number, UpstreamStatsDelta>();
  /** When each project's last delivery was (Unix ms), formatted only when written. */
  private lastDelivered = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  delivered(projectId: number): void {
    this.delta(projectId).delivered += 1;
    this.lastDelivered.set(projectId, this.now());
  }

  rateLimited(projectId: number): void {
    this.delta(projectId).rateLimited += 1;
  }

  refused(projectId: number, status: number | null, reason: string): void {
    const delta = this.delta(projectId);
    delta.refused += 1;
    delta.lastError = { status, reason, at: this.at() };
  }

  /** A failure that will be retried: not counted, but it is the last error. */
  failed(projectId: number, status: number | null, reason: string): void {
    this.delta(projectId).lastError = { status, reason, at: this.at() };
  }

  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async write(): Promise<void> {
    if (this.deltas.size === 0) return;
    const batch = [...this.deltas.values()];
    for (const delta of batch) {
      const at = this.lastDelivered.get(delta.projectId);
      if (at !== undefined) delta.lastDeliveredAt = new Date(at).toISOString();
    }
    this.deltas = new Map();
    this.lastDelivered = new Map();
    try {
      await this.db.bookkeepingTransaction((stores) => stores.upstreamStats.add(batch));
    } catch {
      // The database is away: keep the counts for the next flush.
      for (const delta of batch) this.merge(delta);
    }
  }

  private merge(old: UpstreamStatsDelta): void {
    const delta = this.delta(old.projectId);
    delta.delivered += old.delivered;
    delta.refused += old.refused;
    delta.rateLimited += old.rateLimited;
    delta.lastDeliveredAt ??= old.lastDeliveredAt;
    delta.lastError ??= old.lastError;
  }

  private delta(projectId: number): UpstreamStatsDelta {
    let delta = this.deltas.get(projectId);
    if (!delta) {
      delta = { projectId, delivered: 0, refused: 0, rateLimited: 0, lastDeliveredAt: null, lastError: null };
      this.deltas.set(projectId, delta);
    }
    return delta;
  }

  private at(): string {
    return new Date(this.now()).toISOString();
  }
}
