import { type Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';
import { idColumn } from './id-column.ts';

/** The first schema: organizations, teams, projects, users and their credentials, client keys, audit log. */
export function initial(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await idColumn(dialect, db.schema.createTable('organizations'))
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('open_membership', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('date_created', 'text', (c) => c.notNull())
        .execute();

      await idColumn(dialect, db.schema.createTable('teams'))
        .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('slug', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('date_created', 'text', (c) => c.notNull())
        .addUniqueConstraint('teams_organization_slug', ['organization_id', 'slug'])
        .execute();

      await idColumn(dialect, db.schema.createTable('projects'))
        .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('slug', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('platform', 'text')
        .addColumn('status', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('date_created', 'text', (c) => c.notNull())
        .addUniqueConstraint('projects_organization_slug', ['organization_id', 'slug'])
        .execute();

      await db.schema
        .createTable('project_teams')
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('team_id', 'integer', (c) => c.notNull().references('teams.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('project_teams_pk', ['project_id', 'team_id'])
        .execute();
      await db.schema.createIndex('project_teams_team').on('project_teams').column('team_id').execute();

      await idColumn(dialect, db.schema.createTable('users'))
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('password_hash', 'text')
        .addColumn('is_superuser', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('date_joined', 'text', (c) => c.notNull())
        .execute();

      await idColumn(dialect, db.schema.createTable('members'))
        .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('date_created', 'text', (c) => c.notNull())
        .addUniqueConstraint('members_organization_user', ['organization_id', 'user_id'])
        .execute();
      await db.schema.createIndex('members_user').on('members').column('user_id').execute();

      await db.schema
        .createTable('team_members')
        .addColumn('team_id', 'integer', (c) => c.notNull().references('teams.id').onDelete('cascade'))
        .addColumn('member_id', 'integer', (c) => c.notNull().references('members.id').onDelete('cascade'))
        .addColumn('role', 'text')
        .addPrimaryKeyConstraint('team_members_pk', ['team_id', 'member_id'])
        .execute();
      await db.schema.createIndex('team_members_member').on('team_members').column('member_id').execute();

      await idColumn(dialect, db.schema.createTable('api_tokens'))
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text')
        .addColumn('hashed_token', 'text', (c) => c.notNull().unique())
        .addColumn('token_last_characters', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('date_created', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text')
        .execute();

      await idColumn(dialect, db.schema.createTable('org_auth_tokens'))
        .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('token_hashed', 'text', (c) => c.notNull().unique())
        .addColumn('token_last_characters', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('date_created', 'text', (c) => c.notNull())
        .addColumn('date_deactivated', 'text')
        .execute();

      await idColumn(dialect, db.schema.createTable('api_keys'))
        .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('key_hashed', 'text', (c) => c.notNull().unique())
        .addColumn('key_last_characters', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('allowed_origins', 'text')
        .addColumn('date_created', 'text', (c) => c.notNull())
        .execute();

      await idColumn(dialect, db.schema.createTable('project_keys'))
        .addColumn('project_id', 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull().unique())
        .addColumn('secret_key', 'text', (c) => c.notNull().unique())
        .addColumn('roles', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('status', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('date_added', 'text', (c) => c.notNull())
        .addColumn('rate_limit_count', 'integer')
        .addColumn('rate_limit_window', 'integer')
        .addColumn('data', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('use_case', 'text', (c) => c.notNull().defaultTo('user'))
        .execute();
      // Lists page through a project's keys by descending id.
      await db.schema.createIndex('project_keys_project_id').on('project_keys').columns(['project_id', 'id']).execute();

      await idColumn(dialect, db.schema.createTable('audit_log_entries'))
        .addColumn('organization_id', 'integer', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('actor_user_id', 'integer')
        .addColumn('actor_key_id', 'integer')
        .addColumn('actor_label', 'text', (c) => c.notNull())
        .addColumn('ip_address', 'text')
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('target_object', 'integer')
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('datetime', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('audit_log_entries_organization')
        .on('audit_log_entries')
        .columns(['organization_id', 'id'])
        .execute();
    },
  };
}
