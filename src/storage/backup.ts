/**
 * Backups and restores. A backup is always a SQLite file holding the schema (its migrations
 * table included) and every row, whichever engine it came from:
 * - from SQLite, SQLite's online backup API copies the pages while the server keeps writing;
 * - from PostgreSQL, the rows are read in one REPEATABLE READ snapshot into a new SQLite file
 *   built by the same migrations.
 * A restore reads such a file into an empty database of either engine, bringing the backup's
 * schema up to this version's first, so a backup taken before an upgrade restores after it.
 */
import { chmodSync, copyFileSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ensurePrivateFile } from './private-files.ts';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Dialect } from './dialect.ts';
import { executedMigrations, migrateTo, migrateToLatest, migrationNames, schemaState } from './migrate.ts';
import { countRows, dataTables, foreignKeyOrder, insertRows, readRows, resetSequences, type AnyKysely, type TableInfo } from './table-copy.ts';

/** Work done so far out of the total (pages for a SQLite backup, rows otherwise). */
export type Progress = (done: number, total: number) => void;

export interface BackupSource {
  kysely: Kysely<unknown>;
  dialect: Dialect;
  /** The open SQLite handle, whose online backup API copies the file. */
  sqlite?: SQLite.Database;
}

export type BackupResult =
  | { ok: true; version: string }
  | { ok: false; reason: 'no_schema' }
  | { ok: false; reason: 'newer'; unknown: string[] };

export type RestoreResult =
  | { ok: true; version: string; rows: number; upgradedBackup: string[] }
  | { ok: false; reason: 'not_a_backup'; detail: string }
  | { ok: false; reason: 'backup_newer'; unknown: string[] }
  | { ok: false; reason: 'target_newer'; unknown: string[] }
  | { ok: false; reason: 'not_empty'; tables: { name: string; rows: number }[] };

function openFile(path: string, options: SQLite.Options = {}): { handle: SQLite.Database; kysely: AnyKysely } {
  const handle = new SQLite(path, options);
  return { handle, kysely: new Kysely({ dialect: new SqliteDialect({ database: handle }) }) };
}

/** Write a consistent copy of the database to `file` (replaced if it exists). */
export async function backupDatabase(source: BackupSource, file: string, onProgress?: Progress): Promise<BackupResult> {
  const state = await schemaState(source.kysely, source.dialect);
  if (state.kind === 'empty') return { ok: false, reason: 'no_schema' };
  if (state.kind === 'newer') return { ok: false, reason: 'newer', unknown: state.unknown };
  // Written beside the target and renamed at the end: a half-written backup never has its name.
  const partial = `${file}.partial-${process.pid}`;
  try {
    ensurePrivateFile(partial);
    if (source.sqlite) await copySqliteFile(source.sqlite, partial, onProgress);
    else await copyIntoSqliteFile(source.kysely as AnyKysely, source.dialect, partial, onProgress);
    await seal(partial);
    renameSync(partial, file);
  } finally {
    rmSync(partial, { force: true });
  }
  return { ok: true, version: state.version };
}

/**
 * SQLite's online backup API, in steps so progress can be shown. A write by another connection
 * (the running server) restarts an incremental backup; so after a restart, or after enough steps,
 * the rest is copied in one step, which under WAL reads one consistent snapshot without blocking
 * the server's writes, so a busy server cannot keep a backup from finishing.
 */
async function copySqliteFile(source: SQLite.Database, file: string, onProgress?: Progress): Promise<void> {
  let lastRemaining = Number.POSITIVE_INFINITY;
  let lastTotal = 0;
  let steps = 0;
  let allAtOnce = false;
  await source.backup(file, {
    progress({ totalPages, remainingPages }) {
      steps += 1;
      if (remainingPages > lastRemaining || steps > 200) allAtOnce = true;
      lastRemaining = remainingPages;
      lastTotal = totalPages;
      onProgress?.(totalPages - remainingPages, totalPages);
      return allAtOnce ? 0x7fffffff : Math.max(100, Math.ceil(totalPages / 100));
    },
  });
  // The callback is not called for the last step.
  onProgress?.(lastTotal || 1, lastTotal || 1);
}

/** Rows of any engine into a new SQLite file at the same schema version, from one snapshot. */
async function copyIntoSqliteFile(source: AnyKysely, dialect: Dialect, file: string, onProgress?: Progress): Promise<void> {
  await source
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (snapshot) => {
      const executed = await executedMigrations(snapshot);
      const known = migrationNames('sqlite');
      const unknown = executed.filter((name) => !known.includes(name));
      if (unknown.length > 0) throw new Error(`the database was migrated by a newer clientkeys (${unknown.join(', ')})`);
      const out = openFile(file);
      try {
        await migrateTo(out.kysely, 'sqlite', [...executed].sort().at(-1) as string);
        const tables = await foreignKeyOrder(out.kysely, await dataTables(snapshot, dialect));
        checkColumns(tables, await dataTables(out.kysely, 'sqlite'), 'the backup file');
        await copyTables(snapshot, out.kysely, 'sqlite', tables, onProgress);
      } finally {
        await out.kysely.destroy();
      }
    });
}

/**
 * Make the file stand alone (no -wal beside it), readable by its owner only (it holds password
 * and credential hashes and client keys), and check it reads back whole.
 */
async function seal(file: string): Promise<void> {
  chmodSync(file, 0o600);
  const db = new SQLite(file);
  try {
    db.pragma('journal_mode = DELETE');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`the backup file failed SQLite's quick_check: ${String(check)}`);
  } finally {
    db.close();
  }
}

/** Every table of `from` must exist in `to` with (at least) its columns. */
function checkColumns(from: TableInfo[], to: TableInfo[], where: string): void {
  for (const table of from) {
    const target = to.find((t) => t.name === table.name);
    const missing = table.columns.filter((c) => !target?.columns.includes(c));
    if (!target) throw new Error(`${where} has no table "${table.name}"`);
    if (missing.length > 0) throw new Error(`${where}'s table "${table.name}" lacks the columns ${missing.join(', ')}`);
  }
}

/** Every row of `tables`, in their order, in one transaction of `to`; returns how many. */
async function copyTables(from: AnyKysely, to: AnyKysely, toDialect: Dialect, tables: TableInfo[], onProgress?: Progress): Promise<number> {
  let total = 0;
  for (const table of tables) total += await countRows(from, table.name);
  let done = 0;
  onProgress?.(0, total);
  await to.transaction().execute(async (trx) => {
    for (const table of tables) {
      for await (const rows of readRows(from, table)) {
        await insertRows(trx, table.name, rows);
        done += rows.length;
        onProgress?.(done, total);
      }
    }
    await resetSequences(trx, toDialect, tables);
  });
  return done;
}

export interface RestoreTarget {
  kysely: Kysely<unknown>;
  dialect: Dialect;
}

/** Read a backup file into an empty database (its schema is created or completed first). */
export async function restoreDatabase(target: RestoreTarget, file: string, onProgress?: Progress): Promise<RestoreResult> {
  const db = target.kysely as AnyKysely;
  const state = await schemaState(db, target.dialect);
  if (state.kind === 'newer') return { ok: false, reason: 'target_newer', unknown: state.unknown };
  if (state.kind !== 'empty') {
    const filled: { name: string; rows: number }[] = [];
    for (const table of await dataTables(db, target.dialect)) {
      const rows = await countRows(db, table.name);
      if (rows > 0) filled.push({ name: table.name, rows });
    }
    if (filled.length > 0) return { ok: false, reason: 'not_empty', tables: filled };
  }

  // The backup is upgraded on a copy: the file the operator keeps is never changed.
  const dir = mkdtempSync(join(tmpdir(), 'clientkeys-restore-'));
  const copy = join(dir, 'backup.sqlite');
  let backup: ReturnType<typeof openFile> | undefined;
  try {
    copyFileSync(file, copy);
    let executed: string[];
    try {
      backup = openFile(copy, { fileMustExist: true });
      executed = await executedMigrations(backup.kysely);
    } catch (error) {
      return { ok: false, reason: 'not_a_backup', detail: error instanceof Error ? error.message : String(error) };
    }
    if (executed.length === 0) return { ok: false, reason: 'not_a_backup', detail: 'it holds no clientkeys schema' };
    const known = migrationNames('sqlite');
    const unknown = executed.filter((name) => !known.includes(name));
    if (unknown.length > 0) return { ok: false, reason: 'backup_newer', unknown };
    const { applied: upgradedBackup } = await migrateToLatest(backup.kysely, 'sqlite');

    await migrateToLatest(db, target.dialect);
    const tables = await foreignKeyOrder(backup.kysely, await dataTables(backup.kysely, 'sqlite'));
    checkColumns(tables, await dataTables(db, target.dialect), 'the database');
    const rows = await copyTables(backup.kysely, db, target.dialect, tables, onProgress);
    return { ok: true, version: known.at(-1) as string, rows, upgradedBackup };
  } finally {
    await backup?.kysely.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
