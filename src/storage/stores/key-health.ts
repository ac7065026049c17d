import type { Kysely } from 'kysely';
import { addedTo, laterOf } from '../counters.ts';
import type { DB } from '../schema.ts';

export interface RefusalDelta {
  keyId: number;
  ts: number;
  reason: string;
  count: number;
}

export interface DiscardDelta {
  keyId: number;
  ts: number;
  reason: string;
  category: string;
  quantity: number;
}

export interface ActivityDelta {
  keyId: number;
  lastAcceptedAt: string | null;
  lastRefusedAt: string | null;
}

/** Key health counters, added to (never overwritten) so instances share rows; activity keeps the latest time. */
export class KeyHealthStore {
  constructor(private readonly db: Kysely<DB>) {}

  async addRefusals(deltas: readonly RefusalDelta[]): Promise<void> {
    for (const d of deltas) {
      await this.db
        .insertInto('key_refusals')
        .values({ key_id: d.keyId, ts: d.ts, reason: d.reason, count: d.count })
        .onConflict((oc) => oc.columns(['key_id', 'ts', 'reason']).doUpdateSet(addedTo('key_refusals', ['count'])))
        .execute();
    }
  }

  async addDiscards(deltas: readonly DiscardDelta[]): Promise<void> {
    for (const d of deltas) {
      await this.db
        .insertInto('key_discards')
        .values({ key_id: d.keyId, ts: d.ts, reason: d.reason, category: d.category, quantity: d.quantity })
        .onConflict((oc) => oc.columns(['key_id', 'ts', 'reason', 'category']).doUpdateSet(addedTo('key_discards', ['quantity'])))
        .execute();
    }
  }

  async touch(deltas: readonly ActivityDelta[]): Promise<void> {
    for (const d of deltas) {
      await this.db
        .insertInto('key_activity')
        .values({ key_id: d.keyId, last_accepted_at: d.lastAcceptedAt, last_refused_at: d.lastRefusedAt })
        .onConflict((oc) =>
          oc.column('key_id').doUpdateSet({
            last_accepted_at: laterOf('key_activity', 'last_accepted_at'),
            last_refused_at: laterOf('key_activity', 'last_refused_at'),
          }),
        )
        .execute();
    }
  }

  async refusals(keyId: number, from: number): Promise<{ reason: string; count: number }[]> {
    const rows = await this.db
      .selectFrom('key_refusals')
      .select((eb) => ['reason', eb.fn.sum<number | string>('count').as('count')])
      .where('key_id', '=', keyId)
      .where('ts', '>=', from)
      .groupBy('reason')
      .execute();
    return rows.map((r) => ({ reason: r.reason, count: Number(r.count) }));
  }

  async discards(keyId: number, from: number): Promise<{ reason: string; category: string; quantity: number }[]> {
    const rows = await this.db
      .selectFrom('key_discards')
      .select((eb) => ['reason', 'category', eb.fn.sum<number | string>('quantity').as('quantity')])
      .where('key_id', '=', keyId)
      .where('ts', '>=', from)
      .groupBy(['reason', 'category'])
      .orderBy('reason')
      .orderBy('category')
      .execute();
    return rows.map((r) => ({ reason: r.reason, category: r.category, quantity: Number(r.quantity) }));
  }

  activity(keyId: number) {
    return this.db.selectFrom('key_activity').selectAll().where('key_id', '=', keyId).executeTakeFirst();
  }

  /**
   * Take the mark for `until` (Unix ms) if nobody holds it now: one statement, so across every
   * instance exactly one caller gets a given alert's period.
   */
  async claimMark(mark: string, now: number, until: number): Promise<boolean> {
    const row = await this.db
      .insertInto('alert_marks')
      .values({ mark, until: Math.round(until) })
      .onConflict((oc) => oc.column('mark').doUpdateSet({ until: Math.round(until) }).where('alert_marks.until', '<=', Math.floor(now)))
      .returning('mark')
      .executeTakeFirst();
    return row !== undefined;
  }

  async prune(beforeTs: number, nowMs: number): Promise<void> {
    await this.db.deleteFrom('key_refusals').where('ts', '<', beforeTs).execute();
    await this.db.deleteFrom('key_discards').where('ts', '<', beforeTs).execute();
    await this.db.deleteFrom('alert_marks').where('until', '<', Math.floor(nowMs)).execute();
  }
}
