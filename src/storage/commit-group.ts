/**
 * Group commit for SQLite: the writes of several concurrent requests in one transaction, each
 * answered after that transaction's COMMIT.
 *
 * A commit costs SQLite a write of the WAL (and, as durability is configured, a sync of it) however
 * little it carries; the writes of one request cost far less. Work items that arrive while the
 * event loop is busy with other requests (up to the next `setImmediate`), or while a group is
 * committing, wait and run together: one BEGIN IMMEDIATE, each item in a SAVEPOINT of its own,
 * one COMMIT. An item that throws rolls back to its savepoint (its writes, nothing else's) and
 * gets its own error; the others still commit. Every item's promise settles after the COMMIT has
 * returned, so no answer is given for a write that is not yet committed; if the COMMIT itself
 * fails, every item of the group gets that error and none of their writes is kept.
 *
 * Items run one after another on the one connection, which the group holds until it commits:
 * an item must use only the stores it is given (the database's own stores would wait for the
 * connection, which the group holds).
 */
import { CompiledQuery, type Kysely } from 'kysely';
import type { Dialect } from './dialect.ts';
import type { DB } from './schema.ts';
import { createStores, type Stores } from './stores/index.ts';

export type GroupWork<T> = (stores: Stores) => Promise<T>;

interface Item {
  work: GroupWork<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const BEGIN = CompiledQuery.raw('begin immediate');
const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');
const SAVEPOINT = CompiledQuery.raw('savepoint commit_group_item');
const RELEASE = CompiledQuery.raw('release commit_group_item');
const ROLLBACK_TO = CompiledQuery.raw('rollback to commit_group_item');

export interface CommitGroupStats {
  /** Transactions committed (or attempted). */
  commits: number;
  /** Work items run in them. */
  items: number;
  /** The most items one transaction carried. */
  largest: number;
}

export class CommitGroup {
  private queue: Item[] = [];
  private scheduled = false;
  private running = false;
  readonly stats: CommitGroupStats = { commits: 0, items: 0, largest: 0 };

  constructor(
    private readonly kysely: Kysely<DB>,
    private readonly dialect: Dialect,
    /** At most this many items in one transaction (the rest wait for the next). */
    private readonly maxItems = 128,
  ) {}

  /** Run `work` in the next group's transaction; settles after that transaction's COMMIT. */
  run<T>(work: GroupWork<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running || this.queue.length === 0) return;
    this.scheduled = true;
    // After the I/O callbacks of this turn of the event loop: requests read in it join the group.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.running = true;
    const items = this.queue.splice(0, this.maxItems);
    try {
      const outcomes = await this.commit(items);
      items.forEach((item, i) => {
        const outcome = outcomes[i] as Outcome;
        if (outcome.ok) item.resolve(outcome.value);
        else item.reject(outcome.error);
      });
    } catch (error) {
      for (const item of items) item.reject(error);
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  /** One transaction over every item; rejects (and keeps nothing) when it cannot commit. */
  private commit(items: Item[]): Promise<Outcome[]> {
    this.stats.commits += 1;
    this.stats.items += items.length;
    this.stats.largest = Math.max(this.stats.largest, items.length);
    return this.kysely.connection().execute(async (connection) => {
      const executor = connection.getExecutor();
      const raw = (query: CompiledQuery) => executor.executeQuery(query);
      await raw(BEGIN);
      const outcomes: Outcome[] = [];
      try {
        const stores = createStores(connection, this.dialect);
        for (const item of items) {
          await raw(SAVEPOINT);
          try {
            const value = await item.work(stores);
            await raw(RELEASE);
            outcomes.push({ ok: true, value });
          } catch (error) {
            await raw(ROLLBACK_TO);
            await raw(RELEASE);
            outcomes.push({ ok: false, error });
          }
        }
        await raw(COMMIT);
      } catch (error) {
        await raw(ROLLBACK).catch(() => {});
        throw error;
      }
      return outcomes;
    });
  }
}
