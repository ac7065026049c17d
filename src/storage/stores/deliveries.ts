import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';
import type { DB, DeliveryRow, NewDelivery } from '../schema.ts';

/** A queued request as delivery reads it; times as numbers (pg gives int8 as text). */
export interface Delivery {
  id: number;
  projectId: number;
  upstream: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer | null;
  size: number;
  eventId: string | null;
  createdAt: number;
  attempts: number;
}

export interface QueueState {
  queued: number;
  retrying: number;
  /** Unix ms, or null when nothing is queued. */
  oldest: number | null;
}

function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: Number(row.id),
    projectId: row.project_id,
    upstream: row.upstream,
    url: row.url,
    method: row.method,
    headers: JSON.parse(row.headers) as Record<string, string>,
    body: row.body,
    size: row.size,
    eventId: row.event_id,
    createdAt: Number(row.created_at),
    attempts: row.attempts,
  };
}

const INSERT_COLUMNS = ['project_id', 'upstream', 'url', 'method', 'headers', 'body', 'size', 'event_id', 'created_at', 'attempts', 'next_attempt_at', 'lease_until'];
const insertTexts = new Map<string, string>();

function insertText(rows: number, dialect: Dialect): string {
  const key = `${dialect}:${rows}`;
  let text = insertTexts.get(key);
  if (text === undefined) {
    const width = INSERT_COLUMNS.length;
    const tuples = Array.from({ length: rows }, (_, r) => `(${INSERT_COLUMNS.map((_, c) => (dialect === 'postgres' ? `$${r * width + c + 1}` : '?')).join(', ')})`);
    // SQLite's ids come from the statement's last id (see insertMany), PostgreSQL's from RETURNING.
    text = `insert into "deliveries" (${INSERT_COLUMNS.map((c) => `"${c}"`).join(', ')}) values ${tuples.join(', ')}${dialect === 'postgres' ? ' returning "id"' : ''}`;
    insertTexts.set(key, text);
  }
  return text;
}

/**
 * Ids padded (with the last one again) to the next power of two: `in (…)` lists come in a few
 * lengths, so SQLite's statement cache keeps a few statements rather than one per length.
 */
function padded(ids: readonly number[]): number[] {
  const list = [...ids];
  if (list.length === 0) return list;
  let size = 1;
  while (size < list.length) size *= 2;
  while (list.length < size) list.push(list[list.length - 1]!);
  return list;
}

/** Rows per INSERT: well under both engines' parameter limits at 11 columns a row. */
const INSERT_CHUNK = 500;
/** Ids per `IN (…)`: well under both engines' parameter limits. */
const ID_CHUNK = 1000;

/**
 * The durable delivery queue. Rows are claimed with a lease, so on PostgreSQL any instance may
 * deliver what another accepted (and takes over what an instance that died had claimed).
 */
export class DeliveryStore {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly dialect: Dialect,
  ) {}

  /**
   * One INSERT per INSERT_CHUNK rows, its text written here rather than built by the query
   * builder: the spool commits every few milliseconds under load, and building a statement of
   * hundreds of parameters cost as much as SQLite's writing the rows. Returns the rows' ids in the
   * order of `rows`. Both engines number the rows of one INSERT in the order of its VALUES: on
   * SQLite (AUTOINCREMENT, one writer) they are consecutive up to the statement's last id, read
   * without a RETURNING (which made the insert half as costly again, in a profile of the gateway
   * bench); on PostgreSQL other instances draw from the same sequence, so they come from
   * RETURNING, sorted (its own order is not promised).
   */
  async insertMany(rows: readonly NewDelivery[]): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const chunk = rows.slice(i, i + INSERT_CHUNK);
      const parameters: unknown[] = [];
      for (const row of chunk) {
        parameters.push(
          row.project_id,
          row.upstream,
          row.url,
          row.method,
          row.headers,
          row.body ?? null,
          row.size,
          row.event_id ?? null,
          row.created_at,
          row.attempts ?? 0,
          row.next_attempt_at,
          row.lease_until ?? null,
        );
      }
      const result = await this.db.executeQuery<{ id: number | string }>(CompiledQuery.raw(insertText(chunk.length, this.dialect), parameters));
      if (this.dialect === 'sqlite') {
        const last = Number(result.insertId);
        for (let id = last - chunk.length + 1; id <= last; id++) ids.push(id);
      } else {
        for (const id of result.rows.map((row) => Number(row.id)).sort((a, b) => a - b)) ids.push(id);
      }
    }
    return ids;
  }

  /**
   * SQLite (one file, one server): up to `limit` due rows after `afterId`, oldest first, read
   * without writing a lease (the one server keeps its claims in memory; at a start every row is
   * free). PostgreSQL's instances share the queue: they claim with a lease (claimDue).
   */
  async dueAfter(nowMs: number, afterId: number, limit: number): Promise<Delivery[]> {
    const now = Math.floor(nowMs);
    const rows = await this.db
      .selectFrom('deliveries')
      .selectAll()
      .where('id', '>', afterId)
      .where('next_attempt_at', '<=', now)
      .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<=', now)]))
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toDelivery);
  }

  /**
   * Up to `limit` due rows, oldest first, leased to the caller until `leaseUntil`: one statement
   * (an UPDATE … RETURNING over the due rows that are not leased), on either engine.
   */
  async claimDue(nowMs: number, limit: number, leaseUntilMs: number): Promise<Delivery[]> {
    const now = Math.floor(nowMs);
    const leaseUntil = Math.round(leaseUntilMs);
    const rows = await this.db
      .updateTable('deliveries')
      .set({ lease_until: leaseUntil })
      .where('id', 'in', (eb) => {
        const due = eb
          .selectFrom('deliveries')
          .select('id')
          .where('next_attempt_at', '<=', now)
          .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<=', now)]))
          .orderBy('id')
          .limit(limit);
        // On PostgreSQL instances claim side by side: rows another is claiming are skipped, not waited for.
        // One SQLite file has one server, and its writes are serialised anyway.
        return this.dialect === 'postgres' ? due.forUpdate().skipLocked() : due;
      })
      .returningAll()
      .execute();
    return rows.map(toDelivery).sort((a, b) => a.id - b.id);
  }

  /** Every lease given up: on SQLite, at start, every lease is a dead process's (one file, one server). */
  async releaseAllLeases(): Promise<void> {
    await this.db.updateTable('deliveries').set({ lease_until: null }).where('lease_until', 'is not', null).execute();
  }

  /**
   * These rows' leases given up (claimed and not attempted): due again at once, for any instance.
   * Only rows still under this lease: one that ran out may be another instance's by now.
   */
  async releaseLeases(ids: readonly number[], leaseUntil: number): Promise<void> {
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      await this.db
        .updateTable('deliveries')
        .set({ lease_until: null })
        .where('id', 'in', padded(ids.slice(i, i + ID_CHUNK)))
        .where('lease_until', '=', leaseUntil)
        .execute();
    }
  }

  /** Delivered or dropped: gone, in one statement per ID_CHUNK rows. */
  async remove(ids: readonly number[]): Promise<void> {
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      await this.db.deleteFrom('deliveries').where('id', 'in', padded(ids.slice(i, i + ID_CHUNK))).execute();
    }
  }

  /** Back in the queue for another attempt at `nextAttemptAt`. */
  async retryLater(id: number, attempts: number, nextAttemptAt: number): Promise<void> {
    // Whole milliseconds: PostgreSQL's bigint takes no fraction.
    await this.db.updateTable('deliveries').set({ attempts, next_attempt_at: Math.round(nextAttemptAt), lease_until: null }).where('id', '=', id).execute();
  }

  /** Rows that were not attempted (their backend rests) back in the queue until `nextAttemptAt`, attempts unchanged. */
  async postpone(ids: readonly number[], nextAttemptAt: number): Promise<void> {
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      await this.db
        .updateTable('deliveries')
        .set({ next_attempt_at: Math.round(nextAttemptAt), lease_until: null })
        .where('id', 'in', padded(ids.slice(i, i + ID_CHUNK)))
        .execute();
    }
  }

  /** When the earliest row that is not leased becomes due (Unix ms), or undefined when none is. */
  async nextDue(now: number): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.min('next_attempt_at').as('next'))
      .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<=', now)]))
      .executeTakeFirst();
    return row?.next === null || row?.next === undefined ? undefined : Number(row.next);
  }

  async totalBytes(): Promise<number> {
    const row = await this.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number | string>('size'), sql<number>`0`).as('bytes'))
      .executeTakeFirst();
    return Number(row?.bytes ?? 0);
  }

  async queueState(projectId: number): Promise<QueueState> {
    const row = await this.db
      .selectFrom('deliveries')
      .select((eb) => [
        eb.fn.countAll<number | string>().as('queued'),
        eb.fn.min('created_at').as('oldest'),
        eb.fn.sum<number | string>(eb.case().when('attempts', '>', 0).then(1).else(0).end()).as('retrying'),
      ])
      .where('project_id', '=', projectId)
      .executeTakeFirst();
    return {
      queued: Number(row?.queued ?? 0),
      retrying: Number(row?.retrying ?? 0),
      oldest: row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest),
    };
  }

  /** Per project: queued rows and the oldest one's time, for /metrics. */
  async queueByProject(): Promise<{ projectId: number; queued: number; oldest: number }[]> {
    const rows = await this.db
      .selectFrom('deliveries')
      .select((eb) => ['project_id', eb.fn.countAll<number | string>().as('queued'), eb.fn.min('created_at').as('oldest')])
      .groupBy('project_id')
      .execute();
    return rows.map((r) => ({ projectId: r.project_id, queued: Number(r.queued), oldest: Number(r.oldest) }));
  }
}
