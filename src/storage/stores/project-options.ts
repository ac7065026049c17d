import type { Kysely } from 'kysely';
import type { DB } from '../schema.ts';

export type ProjectOptions = Record<string, unknown>;

/** Sentry's ProjectOption: settings stored per project as key → JSON value. */
export class ProjectOptionStore {
  constructor(private readonly db: Kysely<DB>) {}

  /** project id → its options; a project without options gets an empty object. */
  async forProjects(projectIds: readonly number[]): Promise<Map<number, ProjectOptions>> {
    const map = new Map<number, ProjectOptions>(projectIds.map((id) => [id, {}]));
    if (projectIds.length === 0) return map;
    const rows = await this.db.selectFrom('project_options').selectAll().where('project_id', 'in', projectIds).execute();
    for (const row of rows) {
      const options = map.get(row.project_id);
      if (options) options[row.key] = JSON.parse(row.value) as unknown;
    }
    return map;
  }

  async get(projectId: number, key: string): Promise<unknown> {
    return (await this.forProjects([projectId])).get(projectId)?.[key];
  }

  async set(projectId: number, key: string, value: unknown): Promise<void> {
    const text = JSON.stringify(value);
    await this.db
      .insertInto('project_options')
      .values({ project_id: projectId, key, value: text })
      .onConflict((oc) => oc.columns(['project_id', 'key']).doUpdateSet({ value: text }))
      .execute();
  }
}
