import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type pg from 'pg';
import type { DatabaseConfig } from '../config.ts';
import { CommitGroup } from './commit-group.ts';
import { backupDatabase, restoreDatabase, type BackupResult, type Progress, type RestoreResult } from './backup.ts';
import type { Dialect } from './dialect.ts';
import { migrateToLatest, schemaState, type MigrationOutcome, type SchemaState } from './migrate.ts';
import type { DB } from './schema.ts';
import { createStores, type Stores } from './stores/index.ts';
import { ensurePrivateFile } from './private-files.ts';

/**
 * The one stateful store of clientkeys: a Kysely instance over SQLite or PostgreSQL, with the
 * stores bound to it and a way to run several of their calls in one transaction.
 */
export class Database {
  readonly stores: Stores;
  /** SQLite's group commit (commit-group.ts); undefined on PostgreSQL. */
  readonly commitGroup: CommitGroup | undefined;
  private readonly commitListeners = new Set<() => void>();

  constructor(
    readonly kysely: Kysely<DB>,
    readonly dialect: Dialect,
    /** The SQLite connection under `kysely`, for its online backup API. */
    private readonly sqlite?: SQLite.Database,
  ) {
    this.stores = createStores(kysely, dialect);
    this.commitGroup = dialect === 'sqlite' ? new CommitGroup(kysely, dialect) : undefined;
  }

  /** Run `work` in one transaction: every write in it lands, or none does. */
  transaction<T>(work: (stores: Stores) => Promise<T>): Promise<T> {
    return this.committing(this.kysely.transaction().execute((trx) => work(createStores(trx, this.dialect))));
  }

  /**
   * `transaction` for writes that no cache of what was read depends on (the delivery queue, the
   * counters): the commit listeners are not told, so the access cache keeps what it holds. The
   * gateway's queue commits hundreds of times a second under load; each commit told would leave
   * every API request of the instance to resolve its credential, organization and project again.
   */
  bookkeepingTransaction<T>(work: (stores: Stores) => Promise<T>): Promise<T> {
    return this.kysely.transaction().execute((trx) => work(createStores(trx, this.dialect)));
  }

  /** Hear of every transaction this process commits but bookkeeping (caches of what it read drop what may have changed). */
  onCommit(listener: () => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  private async committing<T>(transaction: Promise<T>): Promise<T> {
    const result = await transaction;
    for (const listener of this.commitListeners) listener();
    return result;
  }

  /**
   * Run `work` in one transaction, as `transaction` does, that on SQLite may be shared with other
   * callers' work (group commit, see commit-group.ts): `work` gets a savepoint of its own, so its
   * writes land or roll back alone, and the promise settles only after the shared COMMIT. `work`
   * must use only the stores it is given. On PostgreSQL, which already shares one WAL flush among
   * concurrent commits, this is `transaction`.
   */
  groupTransaction<T>(work: (stores: Stores) => Promise<T>): Promise<T> {
    return this.commitGroup ? this.committing(this.commitGroup.run(work)) : this.transaction(work);
  }

  /** Where the schema stands against this version's migrations. */
  schemaState(): Promise<SchemaState> {
    return schemaState(this.kysely as Kysely<unknown>, this.dialect);
  }

  /** Apply every pending migration; `onApplied` hears of each as it completes. */
  migrate(onApplied?: (name: string) => void): Promise<MigrationOutcome> {
    return migrateToLatest(this.kysely as Kysely<unknown>, this.dialect, onApplied);
  }

  /** A consistent copy into a SQLite file while the server may keep writing (see backup.ts). */
  backup(file: string, onProgress?: Progress): Promise<BackupResult> {
    return backupDatabase({ kysely: this.kysely as Kysely<unknown>, dialect: this.dialect, sqlite: this.sqlite }, file, onProgress);
  }

  /** Read a backup file into this database, which must hold no data. */
  restore(file: string, onProgress?: Progress): Promise<RestoreResult> {
    return restoreDatabase({ kysely: this.kysely as Kysely<unknown>, dialect: this.dialect }, file, onProgress);
  }

  /**
   * SQLite's `PRAGMA data_version` on this connection: it moves when another connection (another
   * process) commits to the file, never for this one's own commits. Undefined on PostgreSQL.
   */
  dataVersion(): number | undefined {
    return this.sqlite ? (this.sqlite.pragma('data_version', { simple: true }) as number) : undefined;
  }

  close(): Promise<void> {
    return this.kysely.destroy();
  }
}

export function openDatabase(config: DatabaseConfig): Database {
  switch (config.kind) {
    case 'sqlite': {
      const sqlite = openSqlite(config.path);
      return new Database(
        new Kysely<DB>({ dialect: new SqliteDialect({ database: new StatementCache(sqlite) }) }),
        'sqlite',
        sqlite,
      );
    }
    case 'postgres':
      // pg is loaded when the first query needs a connection: SQLite processes never load it.
      return new Database(new Kysely<DB>({ dialect: new PostgresDialect({ pool: () => openPool(config) }) }), 'postgres');
  }
}

async function openPool(config: Extract<DatabaseConfig, { kind: 'postgres' }>): Promise<pg.Pool> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize,
    connectionTimeoutMillis: config.connectTimeoutMs,
    // A connection that died while idle is dropped and replaced on the next request.
    idleTimeoutMillis: 30_000,
    application_name: 'clientkeys',
  });
  // A client losing its server (a PostgreSQL restart) emits 'error': while idle in the pool the
  // pool's 'error' event gets it; while checked out, only the client's own listeners would, and
  // an 'error' without a listener ends the process. The failed query itself is rejected (→ 503)
  // and the pool replaces the client, so both listeners only have to exist.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
    preparedStatements(client, statementNames);
  });
  return pool;
}

/** Query text → the name it is prepared under, shared by every connection of the process. */
const statementNames = new Map<string, string>();
/** Beyond this many shapes (`in (…)` lists of many lengths) queries go unnamed: a connection keeps what it prepares. */
const MAX_PREPARED = 500;
/** "cached plan must not change result type": a table's columns changed under a prepared `select *`. */
const PLAN_RESULT_CHANGED = '0A000';

/**
 * Kysely sends every query unnamed, so PostgreSQL parses and plans it on every execution. The same
 * few shapes repeat; named, each is parsed once per connection and then only bound and executed
 * (pg's named queries). Only queries with parameters are named (not BEGIN, COMMIT or DDL). If a
 * migration changes a table's columns under a prepared statement, that execution fails once and
 * the statement is dropped, to be prepared afresh by the next.
 */
function preparedStatements(client: pg.PoolClient, names: Map<string, string>): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const patched = (...args: unknown[]): unknown => {
    const [text, values] = args;
    if (args.length !== 2 || typeof text !== 'string' || !Array.isArray(values) || values.length === 0) return query(...args);
    let name = names.get(text);
    if (name === undefined) {
      if (names.size >= MAX_PREPARED) return query(...args);
      name = `clientkeys_${names.size}`;
      names.set(text, name);
    }
    const prepared = name;
    return (query({ name: prepared, text, values }) as Promise<unknown>).catch(async (error: unknown) => {
      if ((error as { code?: unknown }).code === PLAN_RESULT_CHANGED) {
        const connection = (client as unknown as { connection?: { parsedStatements?: Record<string, string> } }).connection;
        if (connection?.parsedStatements) delete connection.parsedStatements[prepared];
        await (query(`deallocate ${prepared}`) as Promise<unknown>).catch(() => {});
      }
      throw error;
    });
  };
  (client as unknown as { query: typeof patched }).query = patched;
}

/**
 * Kysely prepares every query afresh; with SQLite that preparation costs as much as running the
 * query. The same few query shapes repeat, so their statements are kept (least recently used
 * dropped past a bound: `in (…)` lists of many lengths make new shapes).
 */
class StatementCache {
  private readonly statements = new Map<string, ObjectRowStatement>();

  constructor(
    private readonly db: SQLite.Database,
    private readonly max = 500,
  ) {}

  prepare(sql: string): ObjectRowStatement {
    let statement = this.statements.get(sql);
    if (statement) {
      this.statements.delete(sql);
    } else {
      statement = new ObjectRowStatement(this.db.prepare(sql));
      if (this.statements.size >= this.max) this.statements.delete(this.statements.keys().next().value as string);
    }
    this.statements.set(sql, statement);
    return statement;
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }
}

function openSqlite(path: string): SQLite.Database {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // SQLite gives the -wal and -shm files the database file's mode, so 0600 here covers all three.
    ensurePrivateFile(path);
    for (const sidecar of ['-wal', '-shm']) if (existsSync(path + sidecar)) ensurePrivateFile(path + sidecar);
  }
  const db = new SQLite(path);
  // WAL lets readers (the CLI, a backup) run beside the server; with synchronous=NORMAL a commit
  // survives a killed process (it is in the WAL), only power loss can take the last ones.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // better-sqlite3 builds SQLite with a 16 MB page cache (SQLite's own default is 2 MB). The OS
  // caches the file as well, so a large database's pages were held twice: 4 MB keeps what a list
  // reads at hand (BENCHMARKS.md, "Cold start and memory").
  db.pragma('cache_size = -4000');
  return db;
}

/**
 * A statement whose rows come back as arrays and become objects here: better-sqlite3 builds a row
 * object property by property in C++, at twice the cost of these objects, which all share one shape
 * (a page of 100 keys: ~370 → ~210 µs). Same names, same values; a repeated name keeps the last.
 */
class ObjectRowStatement {
  readonly reader: boolean;
  private readonly toObject: ((values: unknown[]) => Record<string, unknown>) | undefined;

  constructor(private readonly statement: SQLite.Statement) {
    this.reader = statement.reader;
    if (statement.reader) {
      const names = statement.columns().map((column) => column.name);
      statement.raw(true);
      this.toObject = (values) => {
        const row: Record<string, unknown> = {};
        for (let i = 0; i < names.length; i += 1) row[names[i] as string] = values[i];
        return row;
      };
    }
  }

  all(parameters: readonly unknown[]): unknown[] {
    const rows = this.statement.all(parameters) as unknown[][];
    return this.toObject ? rows.map(this.toObject) : rows;
  }

  run(parameters: readonly unknown[]): SQLite.RunResult {
    return this.statement.run(parameters);
  }

  *iterate(parameters: readonly unknown[]): IterableIterator<unknown> {
    for (const values of this.statement.iterate(parameters) as IterableIterator<unknown[]>) yield this.toObject ? this.toObject(values) : values;
  }
}
