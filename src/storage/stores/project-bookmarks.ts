import type { Kysely } from 'kysely';
import type { DB } from '../schema.ts';

/** Sentry's ProjectBookmark: a user's starred projects. */
export class ProjectBookmarkStore {
  constructor(private readonly db: Kysely<DB>) {}

  async bookmarkedBy(userId: number, projectIds: readonly number[]): Promise<Set<number>> {
    if (projectIds.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('project_bookmarks')
      .select('project_id')
      .where('user_id', '=', userId)
      .where('project_id', 'in', projectIds)
      .execute();
    return new Set(rows.map((r) => r.project_id));
  }

  async add(projectId: number, userId: number, dateAdded: string): Promise<void> {
    await this.db
      .insertInto('project_bookmarks')
      .values({ project_id: projectId, user_id: userId, date_added: dateAdded })
      .onConflict((oc) => oc.columns(['project_id', 'user_id']).doNothing())
      .execute();
  }

  async remove(projectId: number, userId: number): Promise<void> {
    await this.db.deleteFrom('project_bookmarks').where('project_id', '=', projectId).where('user_id', '=', userId).execute();
  }
}
