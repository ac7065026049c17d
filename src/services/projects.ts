/**
 * Projects (S:src/sentry/core/endpoints/team_projects.py): created with their team and their
 * active "Default" key in one transaction, so a client that lists keys right after sees it.
 */
import { randomBytes } from 'node:crypto';
import { offsetPaginate, type Cursor, type PageResult } from '../domain/paginator.ts';
import { DERIVED_SLUG_MAX_LENGTH, MIXED_SLUG_PATTERN, PROJECT_SLUG_MAX_LENGTH, RESERVED_PROJECT_SLUGS, slugCandidates } from '../domain/slugs.ts';
import { isoNow } from '../domain/time.ts';
import type { ChangeBus } from '../changes/bus.ts';
import type { Database } from '../storage/database.ts';
import { uniqueViolation } from '../storage/errors.ts';
import type { OrganizationRow, ProjectKeyRow, ProjectRow, TeamRow } from '../storage/schema.ts';
import type { Stores } from '../storage/stores/index.ts';
import { idOrSlug } from '../storage/stores/id-or-slug.ts';
import { PROJECT_STATUS_PENDING_DELETION, type ProjectFilter } from '../storage/stores/projects.ts';
import { KEY_DEFAULTS_OPTION, type KeyDefaults } from '../domain/key-defaults.ts';
import { audit } from './audit.ts';
import type { Actor } from './principal.ts';
import { insertKey } from './project-keys.ts';

/** What `PUT /projects/{org}/{project}/` may change (the fields clientkeys keeps). */
export interface UpdateProjectInput {
  name?: string | undefined;
  slug?: string | undefined;
  platform?: string | null | undefined;
  subjectPrefix?: string | undefined;
  subjectTemplate?: string | undefined;
  resolveAge?: number | null | undefined;
  highlightContext?: Record<string, string[]> | undefined;
  highlightTags?: string[] | undefined;
  /** Origins whose browsers may send events (checked by the ingest gate). */
  allowedDomains?: string[] | undefined;
  /** clientkeys: defaults for keys created afterwards (null clears them). */
  keyDefaults?: KeyDefaults | null | undefined;
  /** The caller's bookmark: true stars the project, false unstars it. */
  bookmark?: { userId: number; value: boolean } | undefined;
}

export type UpdateProjectResult =
  | { ok: true; project: ProjectRow }
  | { ok: false; reason: 'slug_reserved' }
  | { ok: false; reason: 'slug_taken'; otherName: string };

/** Project options the update writes, by field (S:…/project_details.py `put`). */
const OPTION_KEYS = {
  subjectPrefix: 'mail:subject_prefix',
  subjectTemplate: 'mail:subject_template',
  resolveAge: 'sentry:resolve_age',
  highlightContext: 'sentry:highlight_context',
  highlightTags: 'sentry:highlight_tags',
  allowedDomains: 'sentry:origins',
  keyDefaults: KEY_DEFAULTS_OPTION,
} as const;

export interface CreateProjectInput {
  name: string;
  /** Explicit slug; derived from the name (and made unique) when absent. */
  slug?: string | null | undefined;
  platform?: string | null | undefined;
  team?: TeamRow | undefined;
  /** clientkeys: false creates the project without its "Default" key. */
  defaultKey?: boolean | undefined;
  /** clientkeys: defaults for every key created in the project, the Default key included. */
  keyDefaults?: KeyDefaults | undefined;
}

export type CreateProjectResult =
  | { ok: true; project: ProjectRow; defaultKey: ProjectKeyRow | undefined }
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
        // Project.get_security_token: made once, kept in the project's options.
        await stores.projectOptions.set(project.id, 'sentry:token', randomBytes(16).toString('hex'));
        await audit(stores, {
          organizationId: org.id,
          actor,
          event: 'project.add',
          targetObject: project.id,
          data: { slug, name: project.name, platform: project.platform, team: input.team?.slug ?? null },
        });
        if (input.keyDefaults) await stores.projectOptions.set(project.id, KEY_DEFAULTS_OPTION, input.keyDefaults);
        // S:src/sentry/receivers/core.py create_keys_for_project: every new project gets a "Default" key
        // (clientkeys: unless asked not to), with the project's key defaults.
        const defaultKey = input.defaultKey === false ? undefined : await insertKey(stores, project, { name: 'Default', useCase: 'user' }, actor);
        return { ok: true, project, defaultKey } as const;
      });
    } catch (error) {
      if (uniqueViolation(error)) return { ok: false, reason: 'slug_taken' };
      throw error;
    }
    if (result.ok && result.defaultKey) await this.changes.publish({ type: 'keys', publicKeys: [result.defaultKey.public_key] });
    return result;
  }

  /** An organization's active projects, filtered, by slug, bookmarked first for a user (OffsetPaginator). */
  list(
    org: OrganizationRow,
    filter: ProjectFilter,
    order: { bookmarkedBy?: number },
    page: { cursor: Cursor | undefined; limit: number },
  ): Promise<PageResult<ProjectRow>> {
    return offsetPaginate({
      cursor: page.cursor,
      limit: page.limit,
      fetch: (request) => this.db.stores.projects.page(org.id, filter, order, request),
    });
  }

  /** Every matching project, unpaginated (`all_projects=1`). */
  listAll(org: OrganizationRow, filter: ProjectFilter, order: { bookmarkedBy?: number }): Promise<ProjectRow[]> {
    return this.db.stores.projects.page(org.id, filter, order);
  }

  /** A team's active projects by slug (OffsetPaginator). */
  listForTeam(org: OrganizationRow, team: TeamRow, page: { cursor: Cursor | undefined; limit: number }): Promise<PageResult<ProjectRow>> {
    return offsetPaginate({
      cursor: page.cursor,
      limit: page.limit,
      fetch: (request) => this.db.stores.projects.page(org.id, { teamSlugs: [team.slug] }, {}, request),
    });
  }

  /**
   * ProjectDetailsEndpoint.put, for the fields clientkeys keeps: a name, slug or platform only when
   * given and non-empty (as Sentry's `if result.get(…)`), options as given, the caller's bookmark.
   */
  async update(project: ProjectRow, input: UpdateProjectInput, actor: Actor): Promise<UpdateProjectResult> {
    if (input.slug && RESERVED_PROJECT_SLUGS.has(input.slug)) return { ok: false, reason: 'slug_reserved' };
    let result: UpdateProjectResult;
    try {
      result = await this.db.transaction(async (stores): Promise<UpdateProjectResult> => {
        if (input.slug) {
          const other = await stores.projects.slugTaken(project.organization_id, input.slug, project.id);
          if (other) return { ok: false, reason: 'slug_taken', otherName: other.name };
        }
        const changes: Record<string, unknown> = {};
        const patch: { name?: string; slug?: string; platform?: string } = {};
        if (input.slug) patch.slug = changes.new_slug = input.slug;
        if (input.slug) changes.old_slug = project.slug;
        if (input.name) patch.name = changes.new_project = input.name;
        if (input.platform) patch.platform = input.platform;
        const updated = Object.keys(patch).length > 0 ? await stores.projects.update(project.id, patch) : project;
        // ProjectRedirect.record: the old slug keeps leading here (302) for clients that still use it.
        if (updated.slug !== project.slug) await stores.projectRedirects.record(project.organization_id, project.id, project.slug, isoNow());

        if (input.bookmark?.value === true) await stores.projectBookmarks.add(project.id, input.bookmark.userId, isoNow());
        if (input.bookmark?.value === false) await stores.projectBookmarks.remove(project.id, input.bookmark.userId);

        for (const [field, key] of Object.entries(OPTION_KEYS) as [keyof typeof OPTION_KEYS, string][]) {
          const value = input[field];
          if (value === undefined) continue;
          // An empty subject template keeps the current one; resolveAge null means 0.
          if (field === 'subjectTemplate' && !value) continue;
          const stored = field === 'resolveAge' && value === null ? 0 : value;
          await stores.projectOptions.set(project.id, key, stored);
          changes[key] = stored;
        }
        await audit(stores, {
          organizationId: project.organization_id,
          actor,
          event: 'project.edit',
          targetObject: project.id,
          data: { ...changes, slug: updated.slug, name: updated.name, platform: updated.platform },
        });
        return { ok: true, project: updated };
      });
    } catch (error) {
      // Another request took the slug between the check and the update.
      if (uniqueViolation(error)) return { ok: false, reason: 'slug_taken', otherName: input.slug ?? '' };
      throw error;
    }
    // The ingest gate holds each key with its project's allowed domains: every instance reloads
    // them. Any other change is the access caches' only (the project as API requests resolve it).
    if (result.ok) await this.changes.publish(input.allowedDomains !== undefined ? { type: 'project', projectId: project.id } : { type: 'access' });
    return result;
  }

  /** The active project an old slug of the organization leads to, after a rename. */
  async renamedFrom(org: OrganizationRow, slug: string): Promise<ProjectRow | undefined> {
    // Only a slug can have been a project's slug (ids and impossible values never redirect).
    const ref = idOrSlug(slug);
    if (!('slug' in ref)) return undefined;
    const projectId = await this.db.stores.projectRedirects.projectFor(org.id, ref.slug);
    if (projectId === undefined) return undefined;
    const project = await this.db.stores.projects.find(org.id, { id: projectId });
    return project && project.slug !== slug ? project : undefined;
  }

  /**
   * ProjectDetailsEndpoint.delete: the project is marked pending deletion and its slug freed
   * (`rename_on_pending_deletion`); from then on it, and its keys, are not served. Caches learn it
   * from the change bus once the transaction has committed.
   */
  async remove(project: ProjectRow, actor: Actor): Promise<void> {
    await this.db.transaction(async (stores) => {
      await stores.projects.update(project.id, { status: PROJECT_STATUS_PENDING_DELETION, slug: randomBytes(16).toString('hex') });
      await audit(stores, {
        organizationId: project.organization_id,
        actor,
        event: 'project.remove',
        targetObject: project.id,
        data: { id: project.id, slug: project.slug, name: project.name, platform: project.platform },
      });
    });
    await this.changes.publish({ type: 'project', projectId: project.id });
  }

  private async uniqueSlug(stores: Stores, organizationId: number, name: string): Promise<string | undefined> {
    for (const candidate of slugCandidates(name, RESERVED_PROJECT_SLUGS, DERIVED_SLUG_MAX_LENGTH)) {
      if (!(await stores.projects.slugTaken(organizationId, candidate))) return candidate;
    }
    return undefined;
  }
}
