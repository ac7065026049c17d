import type { Insertable, Kysely } from 'kysely';
import type { DB, SessionRow, SessionTable, UserRow } from '../schema.ts';

/** Sign-in sessions, looked up by the hash of the cookie's token. */
export class SessionStore {
  constructor(private readonly db: Kysely<DB>) {}

  insert(row: Insertable<SessionTable>): Promise<SessionRow> {
    return this.db.insertInto('sessions').values(row).returningAll().executeTakeFirstOrThrow();
  }

  async byTokenHash(hash: string): Promise<{ session: SessionRow; user: UserRow } | undefined> {
    const session = await this.db.selectFrom('sessions').selectAll().where('token_hash', '=', hash).executeTakeFirst();
    if (!session) return undefined;
    const user = await this.db.selectFrom('users').selectAll().where('id', '=', session.user_id).executeTakeFirst();
    return user ? { session, user } : undefined;
  }

  async delete(id: number): Promise<void> {
    await this.db.deleteFrom('sessions').where('id', '=', id).execute();
  }

  async deleteForUser(userId: number): Promise<number> {
    const result = await this.db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async deleteExpired(now: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
  }
}
