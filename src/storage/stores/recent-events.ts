import type { Kysely } from 'kysely';
import type { DB, NewRecentEvent, RecentEventRow } from '../schema.ts';

/** The latest accepted events of each project, trimmed to a fixed number per project. */
export class RecentEventStore {
  constructor(private readonly db: Kysely<DB>) {}

  async insertMany(rows: readonly NewRecentEvent[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.insertInto('recent_events').values([...rows]).execute();
  }

  /** Keep only the `keep` newest rows of a project. */
  async trim(projectId: number, keep: number): Promise<void> {
    await this.db
      .deleteFrom('recent_events')
      .where('project_id', '=', projectId)
      .where('id', 'not in', (eb) =>
        eb.selectFrom('recent_events').select('id').where('project_id', '=', projectId).orderBy('id', 'desc').limit(keep),
      )
      .execute();
  }

  latest(projectId: number, limit: number): Promise<RecentEventRow[]> {
    return this.db.selectFrom('recent_events').selectAll().where('project_id', '=', projectId).orderBy('id', 'desc').limit(limit).execute();
  }
}
