import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config.ts';
import type { Dialect } from './dialect.ts';
import { migrateToLatest, type MigrationOutcome } from './migrate.ts';
import type { DB } from './schema.ts';
import { createStores, type Stores } from './stores/index.ts';

/**
 * The one stateful store of clientkeys: a Kysely instance over SQLite or PostgreSQL, with the
 * stores bound to it and a way to run several of their calls in one transaction.
 */
export class Database {
  readonly stores: Stores;

  constructor(
    readonly kysely: Kysely<DB>,
    readonly dialect: Dialect,
  ) {
    this.stores = createStores(kysely);
  }

  /** Run `work` in one transaction: every write in it lands, or none does. */
  transaction<T>(work: (stores: Stores) => Promise<T>): Promise<T> {
    return this.kysely.transaction().execute((trx) => work(createStores(trx)));
  }

  migrate(): Promise<MigrationOutcome> {
    return migrateToLatest(this.kysely as Kysely<unknown>, this.dialect);
  }

  close(): Promise<void> {
    return this.kysely.destroy();
  }
}

export function openDatabase(config: DatabaseConfig): Database {
  switch (config.kind) {
    case 'sqlite':
      return new Database(
        new Kysely<DB>({ dialect: new SqliteDialect({ database: new StatementCache(openSqlite(config.path)) }) }),
        'sqlite',
      );
    case 'postgres':
      return new Database(new Kysely<DB>({ dialect: new PostgresDialect({ pool: openPool(config) }) }), 'postgres');
  }
}

function openPool(config: Extract<DatabaseConfig, { kind: 'postgres' }>): pg.Pool {
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
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/**
 * Kysely prepares every query afresh; with SQLite that preparation costs as much as running the
 * query. The same few query shapes repeat, so their statements are kept (least recently used
 * dropped past a bound: `in (…)` lists of many lengths make new shapes).
 */
class StatementCache {
  private readonly statements = new Map<string, SQLite.Statement>();

  constructor(
    private readonly db: SQLite.Database,
    private readonly max = 500,
  ) {}

  prepare(sql: string): SQLite.Statement {
    let statement = this.statements.get(sql);
    if (statement) {
      this.statements.delete(sql);
    } else {
      statement = this.db.prepare(sql);
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
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new SQLite(path);
  // WAL lets readers (the CLI, a backup) run beside the server; with synchronous=NORMAL a commit
  // survives a killed process (it is in the WAL), only power loss can take the last ones.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}
