import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';
import { idColumn } from './id-column.ts';

/**
 * Organization options as Sentry keeps them (OrganizationOption: key → JSON value, e.g.
 * `sentry:relay_dsn_endpoint`), and the old slugs of renamed projects (ProjectRedirect), which
 * answer 302 to the project's new URL. A slug redirects to one project per organization.
 */
export function organizationOptionsAndProjectRedirects(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('organization_options')
        .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('organization_options_pk', ['organization_id', 'key'])
        .execute();

      await idColumn(dialect, db.schema.createTable('project_redirects'))
        .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('redirect_slug', 'text', (c) => c.notNull())
        .addColumn('date_added', 'text', (c) => c.notNull())
        .addUniqueConstraint('project_redirects_slug', ['organization_id', 'redirect_slug'])
        .execute();
      await db.schema.createIndex('project_redirects_project').on('project_redirects').column('project_id').execute();
    },
  };
}
