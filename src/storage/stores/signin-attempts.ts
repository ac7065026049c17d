import type { Kysely } from 'kysely';
import type { DB } from '../schema.ts';

/**
 * Counters of sign-in attempts in fixed windows, one row per key. One upsert counts an attempt
 * and starts a new window when the old one is over, so concurrent attempts (on any instance)
 * never lose a count.
 */
export class SignInAttemptStore {
  constructor(private readonly db: Kysely<DB>) {}

  /** Count one attempt; the count in the current window after it, and when that window ends. */
  hit(key: string, now: string, windowEnd: string): Promise<{ count: number; window_end: string }> {
    return this.db
      .insertInto('signin_attempts')
      .values({ key, count: 1, window_end: windowEnd })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet((eb) => {
          const over = eb('signin_attempts.window_end', '<=', now);
          return {
            count: eb.case().when(over).then(1).else(eb('signin_attempts.count', '+', 1)).end(),
            window_end: eb.case().when(over).then(windowEnd).else(eb.ref('signin_attempts.window_end')).end(),
          };
        }),
      )
      .returning(['count', 'window_end'])
      .executeTakeFirstOrThrow();
  }

  async clear(key: string): Promise<void> {
    await this.db.deleteFrom('signin_attempts').where('key', '=', key).execute();
  }

  async deleteExpired(now: string): Promise<void> {
    await this.db.deleteFrom('signin_attempts').where('window_end', '<=', now).execute();
  }
}
