import type { Kysely } from 'kysely';
import type { DB } from '../schema.ts';

/** Sentry's ProjectRedirect: the old slugs of renamed projects. */
export class ProjectRedirectStore {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * `ProjectRedirect.record`: the old slug now leads to this project, taking it over from any
   * project it led to before.
   */
  async record(organizationId: number, projectId: number, slug: string, dateAdded: string): Promise<void> {
    await this.db
      .insertInto('project_redirects')
      .values({ organization_id: organizationId, project_id: projectId, redirect_slug: slug, date_added: dateAdded })
      .onConflict((oc) => oc.columns(['organization_id', 'redirect_slug']).doUpdateSet({ project_id: projectId, date_added: dateAdded }))
      .execute();
  }

  /** The id of the project an old slug leads to. */
  async projectFor(organizationId: number, slug: string): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('project_redirects')
      .select('project_id')
      .where('organization_id', '=', organizationId)
      .where('redirect_slug', '=', slug)
      .executeTakeFirst();
    return row?.project_id;
  }
}
