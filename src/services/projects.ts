/**
 * Projects (S:src/sentry/core/endpoints/team_projects.py): created with their team and their
 * active "Default" key in one transaction, so a client that lists keys right after sees it.
 */
import { DERIVED_SLUG_MAX_LENGTH, MIXED_SLUG_PATTERN, PROJECT_SLUG_MAX_LENGTH, RESERVED_PROJECT_SLUGS, slugCandidates } from '../domain/slugs.ts';
import { isoNow } from '../domain/time.ts';
import type { ChangeBus } from '../changes/bus.ts';
import type { Database } from '../storage/database.ts';
import { uniqueViolation } from '../storage/errors.ts';
import type { OrganizationRow, ProjectKeyRow, ProjectRow, TeamRow } from '../storage/schema.ts';
import type { Stores } from '../storage/stores/index.ts';
import { audit } from './audit.ts';
import type { Actor } from './principal.ts';
import { insertKey } from './project-keys.ts';

export interface CreateProjectInput {
  name: string;
  /** Explicit slug; derived from the name (and made unique) when absent. */
  slug?: string | null | undefined;
  platform?: string | null | undefined;
  team?: TeamRow | undefined;
}

export type CreateProjectResult =
  | { ok: true; project: ProjectRow; defaultKey: ProjectKeyRow }
  | { ok: false; reason: 'slug_taken' | 'invalid_slug' | 'no_unique_slug' };

export class ProjectService {
  constructor(
    private readonly db: Database,
    private readonly changes: ChangeBus,
  ) {}

  async create(org: OrganizationRow, input: CreateProjectInput, actor: Actor): Promise<CreateProjectResult> {
    if (input.slug && (!MIXED_SLUG_PATTERN.test(input.slug) || input.slug.length > PROJECT_SLUG_MAX_LENGTH)) {
      return { ok: false, reason: 'invalid_slug' };
    }
    let result: CreateProjectResult;
    try {
      result = await this.db.transaction(async (stores) => {
        const slug = input.slug || (await this.uniqueSlug(stores, org.id, input.name));
        if (!slug) return { ok: false, reason: 'no_unique_slug' } as const;
        const project = await stores.projects.insert({
          organization_id: org.id,
          slug,
          name: input.name,
          platform: input.platform || null,
          date_created: isoNow(),
        });
        if (input.team) await stores.projects.addTeam(project.id, input.team.id);
        await audit(stores, {
          organizationId: org.id,
          actor,
          event: 'project.add',
          targetObject: project.id,
          data: { slug, name: project.name, platform: project.platform, team: input.team?.slug ?? null },
        });
        // S:src/sentry/receivers/core.py create_keys_for_project: every new project gets a "Default" key.
        const defaultKey = await insertKey(stores, project, { name: 'Default', useCase: 'user' }, actor);
        return { ok: true, project, defaultKey } as const;
      });
    } catch (error) {
      if (uniqueViolation(error)) return { ok: false, reason: 'slug_taken' };
      throw error;
    }
    if (result.ok) await this.changes.publish({ type: 'keys', publicKeys: [result.defaultKey.public_key] });
    return result;
  }

  private async uniqueSlug(stores: Stores, organizationId: number, name: string): Promise<string | undefined> {
    for (const candidate of slugCandidates(name, RESERVED_PROJECT_SLUGS, DERIVED_SLUG_MAX_LENGTH)) {
      if (!(await stores.projects.slugTaken(organizationId, candidate))) return candidate;
    }
    return undefined;
  }
}
