/**
 * Sentry's TeamSerializer (S:src/sentry/api/serializers/models/team.py), with the `projects` and
 * `externalTeams` expansions of the team list and the `organization` expansion of team details.
 */
import type { TeamJson } from '../../schemas/team.ts';
import type { TeamRow } from '../../storage/schema.ts';
import type { Stores } from '../../storage/stores/index.ts';
import { ProjectSerializer } from './project.ts';
import { teamAccess, type Viewer } from './viewer.ts';

export interface TeamExpand {
  projects?: boolean;
  /** clientkeys has no external (SCIM/integration) teams: always an empty list. */
  externalTeams?: boolean;
  organization?: Record<string, unknown>;
}

export class TeamSerializer {
  constructor(private readonly stores: Stores) {}

  async serialize(teams: readonly TeamRow[], viewer: Viewer, expand: TeamExpand = {}): Promise<TeamJson[]> {
    const ids = teams.map((t) => t.id);
    const counts = await this.stores.members.countByTeam(ids);
    const projectsByTeam = expand.projects ? await this.stores.projects.ofTeams(ids) : undefined;
    const projectJson = new Map<number, Awaited<ReturnType<ProjectSerializer['base']>>[number]>();
    if (projectsByTeam) {
      const unique = new Map([...projectsByTeam.values()].flat().map((p) => [p.id, p]));
      const serialized = await new ProjectSerializer(this.stores).base([...unique.values()], viewer);
      for (const json of serialized) projectJson.set(Number(json.id), json);
    }
    return teams.map((team) => {
      const access = teamAccess(viewer, team.id);
      const json: TeamJson = {
        id: String(team.id),
        slug: team.slug,
        name: team.name,
        dateCreated: team.date_created,
        isMember: access.isMember,
        teamRole: access.teamRole,
        flags: { 'idp:provisioned': false },
        access: access.access,
        hasAccess: access.hasAccess,
        isPending: false,
        memberCount: counts.get(team.id) ?? 0,
        avatar: { avatarType: 'letter_avatar', avatarUuid: null },
      };
      if (expand.externalTeams) json.externalTeams = [];
      if (expand.organization) json.organization = expand.organization;
      if (projectsByTeam) json.projects = (projectsByTeam.get(team.id) ?? []).map((p) => projectJson.get(p.id)!);
      return json;
    });
  }
}
