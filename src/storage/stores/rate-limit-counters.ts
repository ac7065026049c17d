import { sql, type Kysely } from 'kysely';
import type { DB } from '../schema.ts';

/**
 * Fixed-window counters shared by every instance on one database. One statement both checks and
 * counts, so two instances can never admit more than the limit together: the conditional upsert
 * only adds when the sum stays within the limit, and returns no row when it would not.
 */
export class RateLimitCounterStore {
  constructor(private readonly db: Kysely<DB>) {}

  async consume(quota: string, slot: number, quantity: number, limit: number, expiresAt: number): Promise<boolean> {
    if (quantity > limit) return false;
    const row = await this.db
      .insertInto('rate_limit_counters')
      .values({ quota, slot, used: quantity, expires_at: expiresAt })
      .onConflict((oc) =>
        oc
          .columns(['quota', 'slot'])
          .doUpdateSet({ used: sql<number>`rate_limit_counters.used + excluded.used` })
          .where(sql<boolean>`rate_limit_counters.used + excluded.used <= ${limit}`),
      )
      .returning('used')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Give back what was counted for items another quota then refused (never below zero). */
  async refund(quota: string, slot: number, quantity: number): Promise<void> {
    await this.db
      .updateTable('rate_limit_counters')
      .set({ used: sql<number>`case when used > ${quantity} then used - ${quantity} else 0 end` })
      .where('quota', '=', quota)
      .where('slot', '=', slot)
      .execute();
  }

  async prune(now: number): Promise<void> {
    await this.db.deleteFrom('rate_limit_counters').where('expires_at', '<', now).execute();
  }
}
