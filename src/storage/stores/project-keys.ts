import { PostgresAdapter, sql, type Insertable, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { PageRequest } from '../../domain/paginator.ts';
import type { AuditLogTable, DB, NewProjectKey, ProjectKeyRow, ProjectKeyUpdate } from '../schema.ts';

/** An audit entry about a key about to be inserted: its `target_object` is the new key's id. */
export type KeyAuditEntry = Omit<Insertable<AuditLogTable>, 'target_object'>;

/** A NOTIFY to send in the same transaction (PostgreSQL delivers it at commit, and only then). */
export interface CommitNotification {
  channel: string;
  payload: string;
}

const STORE_ROLE = 1;

export interface KeyFilter {
  /** Keys of these projects (one for the project endpoint, several for the organization one). */
  projectIds: readonly number[];
  /** 0 active, 1 inactive; absent for both. */
  status?: number;
  /** Only `use_case = "user"` keys unless the caller is an active superuser. */
  userKeysOnly: boolean;
}

/** A page of every key, for the ingest key map's load. */
export interface IngestKeyPage {
  /** The last public key of the page before ('' for the first). */
  after: string;
  limit: number;
}

/** What the ingest gate needs of a key: who it belongs to, whether it may send, its limit and loader data. */
export interface IngestKeyRow {
  id: number;
  public_key: string;
  project_id: number;
  organization_id: number;
  status: number;
  roles: number;
  project_status: number;
  rate_limit_count: number | null;
  rate_limit_window: number | null;
  data: string;
  expires_at: string | null;
  /** The public key of the key that replaced this one (a rotation), or null. */
  replaced_by: string | null;
  /** The project's `sentry:origins` option as stored (JSON), or null for Sentry's default. */
  allowed_domains: string | null;
  /** The project's backend DSN (gateway mode), or null. */
  upstream_dsn: string | null;
  /** The key's policy (JSON), or null. */
  policy: string | null;
}

export class ProjectKeyStore {
  constructor(private readonly db: Kysely<DB>) {}

  insert(row: NewProjectKey): Promise<ProjectKeyRow> {
    return this.db.insertInto('project_keys').values(row).returningAll().executeTakeFirstOrThrow();
  }

  /**
   * Insert a key and its audit entry (whose target is the key's new id) together. On PostgreSQL
   * this is one statement, and so one round trip and atomic on its own (with `notification`, the
   * NOTIFY rides in it too, delivered when it commits); on SQLite, which has no data-modifying
   * CTEs, two statements in the caller's transaction, and `notification` is not sent.
   */
  async insertAudited(row: NewProjectKey, entry: KeyAuditEntry, notification?: CommitNotification): Promise<ProjectKeyRow> {
    if (!(this.db.getExecutor().adapter instanceof PostgresAdapter)) {
      const key = await this.insert(row);
      await this.db.insertInto('audit_log_entries').values({ ...entry, target_object: key.id }).execute();
      return key;
    }
    const withKey = this.db
      .with('k', (db) => db.insertInto('project_keys').values(row).returningAll())
      .with('a', (db) =>
        db.insertInto('audit_log_entries').values({ ...entry, target_object: (eb) => eb.selectFrom('k').select('k.id') }).returning('id'),
      );
    if (!notification) return withKey.selectFrom('k').selectAll('k').executeTakeFirstOrThrow();
    return withKey
      .with('n', (db) => db.selectNoFrom(sql<string>`pg_notify(${notification.channel}, ${notification.payload})`.as('notified')))
      .selectFrom(['k', 'n'])
      .selectAll('k')
      .executeTakeFirstOrThrow();
  }

  /** A key of a project by its public key, as the API sees keys (store role, use-case rule). */
  find(projectId: number, publicKey: string, userKeysOnly: boolean): Promise<ProjectKeyRow | undefined> {
    return this.visible(this.db.selectFrom('project_keys').selectAll(), userKeysOnly)
      .where('project_id', '=', projectId)
      .where('public_key', '=', publicKey)
      .executeTakeFirst();
  }

  /** The key with this public key in any project, whatever its role or use case (keys are unique across projects). */
  byPublicKey(publicKey: string): Promise<ProjectKeyRow | undefined> {
    return this.db.selectFrom('project_keys').selectAll().where('public_key', '=', publicKey).executeTakeFirst();
  }

  bySecretKey(secretKey: string): Promise<ProjectKeyRow | undefined> {
    return this.db.selectFrom('project_keys').selectAll().where('secret_key', '=', secretKey).executeTakeFirst();
  }

  /** How many keys a filter matches (for progress, not for paging). */
  async count(filter: KeyFilter): Promise<number> {
    if (filter.projectIds.length === 0) return 0;
    let query = this.visible(this.db.selectFrom('project_keys').selectAll(), filter.userKeysOnly).where('project_id', 'in', filter.projectIds);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    const row = await query
      .clearSelect()
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** One page of keys ordered by id, bounded as the paginator asks (a cursor's value may be any number). */
  page(filter: KeyFilter, request: PageRequest): Promise<ProjectKeyRow[]> {
    if (filter.projectIds.length === 0) return Promise.resolve([]);
    let query = this.visible(this.db.selectFrom('project_keys').selectAll(), filter.userKeysOnly);
    query =
      filter.projectIds.length === 1
        ? query.where('project_id', '=', filter.projectIds[0] as number)
        : query.where('project_id', 'in', filter.projectIds);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (request.bound !== undefined) query = query.where('id', request.ascending ? '>=' : '<=', idBound(request.bound, request.ascending));
    return query
      .orderBy('id', request.ascending ? 'asc' : 'desc')
      .limit(request.limit)
      .offset(request.offset)
      .execute();
  }

  update(id: number, patch: ProjectKeyUpdate): Promise<ProjectKeyRow> {
    return this.db.updateTable('project_keys').set(patch).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  }

  /** Active keys whose end (a rotation's overlap) has come. */
  dueForExpiry(nowIso: string, limit = 500): Promise<ProjectKeyRow[]> {
    return this.db
      .selectFrom('project_keys')
      .selectAll()
      .where('expires_at', '<=', nowIso)
      .where('status', '=', 0)
      .orderBy('expires_at')
      .limit(limit)
      .execute();
  }

  /**
   * Mark an active key inactive; undefined when it already was (another instance's sweep got
   * there first), so each expiry is recorded once.
   */
  deactivate(id: number): Promise<ProjectKeyRow | undefined> {
    return this.db.updateTable('project_keys').set({ status: 1 }).where('id', '=', id).where('status', '=', 0).returningAll().executeTakeFirst();
  }

  async delete(id: number): Promise<void> {
    await this.db.deleteFrom('project_keys').where('id', '=', id).execute();
  }

  /** Keys with their project's organization and status: the keys named, or a page of every key in public-key order (after `page.after`). */
  ingestKeys(publicKeys?: readonly string[], page?: IngestKeyPage): Promise<IngestKeyRow[]> {
    let query = this.db
      .selectFrom('project_keys')
      .innerJoin('projects', 'projects.id', 'project_keys.project_id')
      .leftJoin('project_options as origins', (join) =>
        join.onRef('origins.project_id', '=', 'project_keys.project_id').on('origins.key', '=', 'sentry:origins'),
      )
      .select([
        'project_keys.id',
        'project_keys.public_key',
        'project_keys.project_id',
        'projects.organization_id',
        'project_keys.status',
        'project_keys.roles',
        'projects.status as project_status',
        'project_keys.rate_limit_count',
        'project_keys.rate_limit_window',
        'project_keys.data',
        'project_keys.expires_at',
        'project_keys.replaced_by',
        'origins.value as allowed_domains',
        'projects.upstream_dsn',
        'project_keys.policy',
      ]);
    if (publicKeys) {
      if (publicKeys.length === 0) return Promise.resolve([]);
      query = query.where('project_keys.public_key', 'in', publicKeys);
    } else if (page) {
      query = query.where('project_keys.public_key', '>', page.after).orderBy('project_keys.public_key').limit(page.limit);
    }
    return query.execute();
  }

  private visible<Q extends SelectQueryBuilder<DB, 'project_keys', ProjectKeyRow>>(query: Q, userKeysOnly: boolean): Q {
    let q = query.where((eb) => eb(eb('roles', '&', STORE_ROLE), '=', STORE_ROLE)) as Q;
    if (userKeysOnly) q = q.where('use_case', '=', 'user') as Q;
    return q;
  }
}

const INT4_MIN = -(2 ** 31);
const INT4_MAX = 2 ** 31 - 1;

/**
 * The same rows as `id >= bound` (or `<=`) for a bound that is a float or beyond the id column's
 * range (a cursor like `1.5:0:0`), as an integer PostgreSQL accepts for an int4 parameter.
 */
function idBound(bound: number, ascending: boolean): number {
  const whole = ascending ? Math.ceil(bound) : Math.floor(bound);
  return Math.min(INT4_MAX, Math.max(INT4_MIN, whole));
}
