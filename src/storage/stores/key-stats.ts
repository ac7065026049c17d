import type { Kysely } from 'kysely';
import { addedTo } from '../counters.ts';
import type { DB } from '../schema.ts';

export interface KeyStatsDelta {
  keyId: number;
  rollup: number;
  ts: number;
  accepted: number;
  dropped: number;
  filtered: number;
}

export interface KeyStatsBucket {
  ts: number;
  accepted: number;
  dropped: number;
  filtered: number;
}

/** Per-key outcome counters by time bucket, added to (never overwritten) so instances can share rows. */
export class KeyStatsStore {
  constructor(private readonly db: Kysely<DB>) {}

  async add(deltas: readonly KeyStatsDelta[]): Promise<void> {
    for (const d of deltas) {
      await this.db
        .insertInto('key_stats')
        .values({ key_id: d.keyId, rollup: d.rollup, ts: d.ts, accepted: d.accepted, dropped: d.dropped, filtered: d.filtered })
        .onConflict((oc) =>
          oc.columns(['key_id', 'rollup', 'ts']).doUpdateSet(addedTo('key_stats', ['accepted', 'dropped', 'filtered'])),
        )
        .execute();
    }
  }

  /** Buckets of one rollup with `from <= ts < to`, ascending. */
  async buckets(keyId: number, rollup: number, from: number, to: number): Promise<KeyStatsBucket[]> {
    const rows = await this.db
      .selectFrom('key_stats')
      .select(['ts', 'accepted', 'dropped', 'filtered'])
      .where('key_id', '=', keyId)
      .where('rollup', '=', rollup)
      .where('ts', '>=', from)
      .where('ts', '<', to)
      .orderBy('ts')
      .execute();
    // PostgreSQL returns bigints as strings.
    return rows.map((r) => ({ ts: Number(r.ts), accepted: Number(r.accepted), dropped: Number(r.dropped), filtered: Number(r.filtered) }));
  }

  async prune(rollup: number, before: number): Promise<void> {
    await this.db.deleteFrom('key_stats').where('rollup', '=', rollup).where('ts', '<', before).execute();
  }
}
