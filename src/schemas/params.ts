/**
 * The path parameters of the management API, declared once: every route under
 * `/organizations/{org}/`, `/teams/{org}/{team}/`, `/projects/{org}/{project}/` and
 * `…/keys/{key_id}/` names them the same way, as Sentry's URLs do.
 */
import { z } from 'zod';

export const orgParams = z.object({ org: z.string().describe('The id or slug of the organization.') });
export const teamParams = orgParams.extend({ team: z.string().describe('The id or slug of the team.') });
export const projectParams = orgParams.extend({ project: z.string().describe('The id or slug of the project.') });
export const keyParams = projectParams.extend({ key_id: z.string().describe('The public key of the client key.') });
export const userParams = z.object({ user: z.string().describe('"me", or a user id.') });

export type OrgParams = z.output<typeof orgParams>;
export type TeamParams = z.output<typeof teamParams>;
export type ProjectParams = z.output<typeof projectParams>;
export type KeyParams = z.output<typeof keyParams>;
export type UserParams = z.output<typeof userParams>;
