import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';

/**
 * Project settings and bookmarks, as Sentry keeps them beside the project: options as key → JSON
 * value (ProjectOption: subject prefix, security token, highlights…), bookmarks per user
 * (ProjectBookmark), which also order a user's project list.
 */
export function projectOptionsAndBookmarks(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('project_options')
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('project_options_pk', ['project_id', 'key'])
        .execute();

      await db.schema
        .createTable('project_bookmarks')
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('date_added', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('project_bookmarks_pk', ['project_id', 'user_id'])
        .execute();
      await db.schema.createIndex('project_bookmarks_user').on('project_bookmarks').column('user_id').execute();
      // Teams are listed by slug within an organization.
      await db.schema.createIndex('teams_organization_status').on('teams').columns(['organization_id', 'status']).execute();
    },
  };
}
