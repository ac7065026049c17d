import type { Insertable, Kysely } from 'kysely';
import type { DB, MemberRow, MemberTable } from '../schema.ts';

export interface TeamMembership {
  teamId: number;
  role: string | null;
}

export class MemberStore {
  constructor(private readonly db: Kysely<DB>) {}

  insert(row: Insertable<MemberTable>): Promise<MemberRow> {
    return this.db.insertInto('members').values(row).returningAll().executeTakeFirstOrThrow();
  }

  find(organizationId: number, userId: number): Promise<MemberRow | undefined> {
    return this.db
      .selectFrom('members')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
  }

  async organizationIdsOf(userId: number): Promise<number[]> {
    const rows = await this.db.selectFrom('members').select('organization_id').where('user_id', '=', userId).execute();
    return rows.map((r) => r.organization_id);
  }

  async setRole(memberId: number, role: string): Promise<void> {
    await this.db.updateTable('members').set({ role }).where('id', '=', memberId).execute();
  }

  teams(memberId: number): Promise<TeamMembership[]> {
    return this.db
      .selectFrom('team_members')
      .select(['team_id as teamId', 'role'])
      .where('member_id', '=', memberId)
      .execute();
  }

  /** Add a member to a team, or change their team role when they already are in it. */
  async joinTeam(memberId: number, teamId: number, role: string | null): Promise<void> {
    await this.db
      .insertInto('team_members')
      .values({ member_id: memberId, team_id: teamId, role })
      .onConflict((oc) => oc.columns(['team_id', 'member_id']).doUpdateSet({ role }))
      .execute();
  }

  /** team id → how many members it has (Sentry's `memberCount`). */
  async countByTeam(teamIds: readonly number[]): Promise<Map<number, number>> {
    const counts = new Map<number, number>();
    if (teamIds.length === 0) return counts;
    const rows = await this.db
      .selectFrom('team_members')
      .select(['team_id', (eb) => eb.fn.countAll<number | string>().as('count')])
      .where('team_id', 'in', teamIds)
      .groupBy('team_id')
      .execute();
    // PostgreSQL returns count(*) as a string.
    for (const row of rows) counts.set(row.team_id, Number(row.count));
    return counts;
  }
}
