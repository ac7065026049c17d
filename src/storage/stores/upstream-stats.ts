import { sql, type Kysely } from 'kysely';
import { addedTo } from '../counters.ts';
import type { DB, UpstreamStatsRow } from '../schema.ts';

export interface UpstreamStatsDelta {
  projectId: number;
  delivered: number;
  refused: number;
  rateLimited: number;
  lastDeliveredAt: string | null;
  lastError: { status: number | null; reason: string; at: string } | null;
}

/** What delivery did per project, added to (never overwritten) so every instance's counts sum. */
export class UpstreamStatsStore {
  constructor(private readonly db: Kysely<DB>) {}

  async add(deltas: readonly UpstreamStatsDelta[]): Promise<void> {
    for (const d of deltas) {
      await this.db
        .insertInto('upstream_stats')
        .values({
          project_id: d.projectId,
          delivered: d.delivered,
          refused: d.refused,
          rate_limited: d.rateLimited,
          last_delivered_at: d.lastDeliveredAt,
          last_error_status: d.lastError?.status ?? null,
          last_error_reason: d.lastError?.reason ?? null,
          last_error_at: d.lastError?.at ?? null,
        })
        .onConflict((oc) =>
          oc.column('project_id').doUpdateSet({
            ...addedTo('upstream_stats', ['delivered', 'refused', 'rate_limited']),
            last_delivered_at: sql<string | null>`coalesce(excluded.last_delivered_at, upstream_stats.last_delivered_at)`,
            last_error_status: sql<number | null>`case when excluded.last_error_at is null then upstream_stats.last_error_status else excluded.last_error_status end`,
            last_error_reason: sql<string | null>`coalesce(excluded.last_error_reason, upstream_stats.last_error_reason)`,
            last_error_at: sql<string | null>`coalesce(excluded.last_error_at, upstream_stats.last_error_at)`,
          }),
        )
        .execute();
    }
  }

  byProject(projectId: number): Promise<UpstreamStatsRow | undefined> {
    return this.db.selectFrom('upstream_stats').selectAll().where('project_id', '=', projectId).executeTakeFirst();
  }
}
