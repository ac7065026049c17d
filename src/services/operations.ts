/**
 * Looking after the database itself: its schema (checked at start, migrated on request), backups
 * and restores. The server and the `migrate`, `backup` and `restore` commands go through here.
 */
import { ensureSchema, type SchemaOutcome } from '../schema-check.ts';
import type { BackupResult, Progress, RestoreResult } from '../storage/backup.ts';
import type { Database } from '../storage/database.ts';
import type { MigrationOutcome, SchemaState } from '../storage/migrate.ts';

export class DatabaseOperations {
  constructor(private readonly db: Database) {}

  /** Make the schema usable (an empty database gets it; `migrate` upgrades an older one) or throw saying what to run. */
  ensureSchema(options: { migrate: boolean }): Promise<SchemaOutcome> {
    return ensureSchema(this.db, options);
  }

  schemaState(): Promise<SchemaState> {
    return this.db.schemaState();
  }

  migrate(onApplied?: (name: string) => void): Promise<MigrationOutcome> {
    return this.db.migrate(onApplied);
  }

  backup(file: string, onProgress?: Progress): Promise<BackupResult> {
    return this.db.backup(file, onProgress);
  }

  restore(file: string, onProgress?: Progress): Promise<RestoreResult> {
    return this.db.restore(file, onProgress);
  }
}
