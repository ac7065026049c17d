/**
 * Teams on the wire (S:src/sentry/api/serializers/models/team.py TeamSerializer) and the body of
 * `POST /organizations/{org}/teams/` (TeamPostSerializer).
 */
import { z } from 'zod';
import { MIXED_SLUG_PATTERN, SLUG_ERROR, TEAM_SLUG_MAX_LENGTH } from '../domain/slugs.ts';
import { boolean, char, serializer } from './drf.ts';
import { projectSchema } from './project.ts';
import { pageQuery, queryParam, repeated } from './common.ts';

export const teamSchema = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    dateCreated: z.string(),
    isMember: z.boolean(),
    teamRole: z.string().nullable().describe("The caller's role in the team, when a member."),
    flags: z.object({ 'idp:provisioned': z.boolean() }),
    access: z.array(z.string()).describe("Scopes of the caller's (effective) team role."),
    hasAccess: z.boolean(),
    isPending: z.boolean(),
    memberCount: z.number().int(),
    avatar: z.object({ avatarType: z.string(), avatarUuid: z.string().nullable() }),
    externalTeams: z.array(z.record(z.string(), z.unknown())).optional(),
    organization: z.record(z.string(), z.unknown()).optional().describe('The organization, on team details.'),
    projects: z.array(projectSchema).optional(),
  })
  .meta({ id: 'Team' });

export const teamListSchema = z.array(teamSchema);

export type TeamJson = z.output<typeof teamSchema>;

export const createTeamBody = serializer({
  slug: char({
    maxLength: TEAM_SLUG_MAX_LENGTH,
    allowNull: true,
    pattern: MIXED_SLUG_PATTERN,
    patternMessage: SLUG_ERROR,
    description: 'Derived from the name when absent.',
  }).optional(),
  name: char({ maxLength: 64, allowNull: true, allowBlank: true, description: 'Deprecated; the slug when absent.' }).optional(),
  idp_provisioned: boolean().optional(),
})
  .superRefine((body, ctx) => {
    // TeamPostSerializer.validate: a non-field error.
    if (!body.name && !body.slug) ctx.addIssue({ code: 'custom', message: 'Name or slug is required', path: [] });
  })
  .meta({ id: 'CreateTeam' });

export type CreateTeamBody = z.output<typeof createTeamBody>;

export const teamListQuery = z.object({
  detailed: queryParam.optional().describe('"0": without each team\'s projects.'),
  query: queryParam.optional().describe('Filters: slug:, id:, hasExternalTeams:, or text in the name or slug.'),
  ...pageQuery,
});
export type TeamListQuery = z.output<typeof teamListQuery>;

export const teamDetailQuery = z.object({
  expand: repeated.optional().describe('"projects", "externalTeams".'),
  collapse: repeated.optional().describe('"organization" leaves the organization out.'),
});
export type TeamDetailQuery = z.output<typeof teamDetailQuery>;

export const teamProjectsQuery = z.object({
  statsPeriod: queryParam.optional().describe("Accepted and checked; clientkeys has no event statistics."),
  ...pageQuery,
});
export type TeamProjectsQuery = z.output<typeof teamProjectsQuery>;
