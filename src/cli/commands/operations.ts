/** migrate, backup and restore: the commands that look after the database itself. */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../../config.ts';
import { mismatchMessage } from '../../schema-check.ts';
import type { RestoreResult } from '../../storage/backup.ts';
import { CliError, count, print, withServices } from '../context.ts';
import { withProgress } from '../progress.ts';

function databaseName(config: Config): string {
  return config.database.kind === 'sqlite' ? config.database.path : 'the PostgreSQL database';
}

export function registerOperationCommands(program: Command): void {
  program
    .command('migrate')
    .summary('create or upgrade the database schema')
    .description('create or upgrade the database schema (back up first: migrations only go forward)')
    .option('--dry-run', 'list the migrations that would run, and change nothing')
    .action((opts: { dryRun?: boolean }) =>
      withServices(
        async ({ services }) => {
          const state = await services.operations.schemaState();
          if (state.kind === 'newer') throw new CliError(mismatchMessage(state));
          if (state.kind === 'current') return print(`the database schema is up to date (${state.version}); nothing to run`);
          const pending = state.pending;
          if (opts.dryRun) {
            print(state.kind === 'empty' ? 'the database is empty; migrate would create the schema:' : `the database schema is at ${state.version}; migrate would run:`);
            for (const name of pending) print(`  ${name}`);
            return;
          }
          const { applied } = await withProgress('migrate', 'migrations', (bar) => {
            let done = 0;
            bar.update(0, pending.length);
            return services.operations.migrate(() => bar.update(++done, pending.length));
          });
          for (const name of applied) print(`applied ${name}`);
          const after = await services.operations.schemaState();
          print(after.kind === 'current' ? `the database schema is up to date (${after.version})` : `the database schema is now ${after.kind}`);
        },
        { schema: 'any' },
      ),
    );

  program
    .command('backup <file>')
    .summary('copy the database to a file while the server runs')
    .description(
      'write a consistent copy of the database to FILE while the server keeps running: a SQLite file, whichever ' +
        'database it came from (SQLite through its online backup API, PostgreSQL from one snapshot), readable by its owner only',
    )
    .option('--force', 'replace FILE if it exists')
    .action((file: string, opts: { force?: boolean }) =>
      withServices(
        async ({ config, services }) => {
          const target = resolve(file);
          if (!existsSync(dirname(target))) throw new CliError(`cannot write ${file}: the directory ${dirname(target)} does not exist`);
          if (existsSync(target) && !opts.force) throw new CliError(`${file} exists; pass --force to replace it`);
          const unit = config.database.kind === 'sqlite' ? 'pages' : 'rows';
          const result = await withProgress('backup', unit, (bar) => services.operations.backup(target, (done, total) => bar.update(done, total)));
          if (!result.ok) {
            throw new CliError(
              result.reason === 'no_schema'
                ? `${databaseName(config)} holds no clientkeys schema: nothing to back up (check DATABASE_URL)`
                : mismatchMessage({ kind: 'newer', version: '', unknown: result.unknown }),
            );
          }
          print(`backed up ${databaseName(config)} (schema ${result.version}) to ${target} (${statSync(target).size} bytes)`);
        },
        // A backup must not create the database it is asked to copy.
        { schema: 'any', mustExist: true },
      ),
    );

  program
    .command('restore <file>')
    .summary('read a backup file into an empty database')
    .description(
      'read a backup FILE (made by `clientkeys backup`, by this or an older version) into an empty database: a new SQLite ' +
        'file or a new PostgreSQL database, on which no server is running yet. A database that holds data is refused',
    )
    .action((file: string) =>
      withServices(
        async ({ config, services }) => {
          if (!existsSync(file)) throw new CliError(`${file} not found`);
          const result = await withProgress('restore', 'rows', (bar) => services.operations.restore(resolve(file), (done, total) => bar.update(done, total)));
          if (!result.ok) throw new CliError(restoreRefusal(result, file, config));
          const upgraded = result.upgradedBackup.length > 0 ? `; the backup's schema was brought up to date (${result.upgradedBackup.join(', ')})` : '';
          print(`restored ${count(result.rows, 'row')} from ${file} into ${databaseName(config)} (schema ${result.version})${upgraded}`);
        },
        { schema: 'any' },
      ),
    );
}

function restoreRefusal(result: Extract<RestoreResult, { ok: false }>, file: string, config: Config): string {
  switch (result.reason) {
    case 'not_a_backup':
      return `${file} is not a clientkeys backup (${result.detail})`;
    case 'backup_newer':
      return `${file} was made by a newer clientkeys (migrations ${result.unknown.join(', ')}): restore it with that version or a later one`;
    case 'target_newer':
      return mismatchMessage({ kind: 'newer', version: '', unknown: result.unknown });
    case 'not_empty': {
      const rows = result.tables.map((t) => `${t.rows} in ${t.name}`).join(', ');
      return (
        `${databaseName(config)} is not empty (${rows}): restore only into an empty database, ` +
        'e.g. a new file (DATABASE_URL=sqlite:PATH) or a new PostgreSQL database'
      );
    }
  }
}
