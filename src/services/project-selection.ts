/**
 * Which projects an organization-wide list covers (Sentry's `OrganizationEndpoint.get_projects`,
 * S:src/sentry/api/bases/organization.py): the caller's team projects by default, every
 * accessible project for `project=-1` / `projectSlug=$all`, or exactly the ones asked for.
 */
import type { ProjectRow } from '../storage/schema.ts';
import type { Stores } from '../storage/stores/index.ts';
import type { OrgAccess } from './access.ts';

export type ProjectSelection =
  | { kind: 'default' }
  | { kind: 'all-accessible' }
  | { kind: 'ids'; ids: number[] }
  /** `ids`: `project` values given beside the slugs; they must name exactly the projects found. */
  | { kind: 'slugs'; slugs: string[]; ids?: number[] };

export type SelectionResult = { ok: true; projects: ProjectRow[] } | { ok: false; reason: 'forbidden' };

export async function selectProjects(
  stores: Stores,
  access: OrgAccess,
  selection: ProjectSelection,
): Promise<SelectionResult> {
  const organizationId = access.organization.id;
  const projects = await stores.projects.list(organizationId);
  const teamsByProject = await stores.projects.teamIdsByProject(organizationId);
  const teams = (p: ProjectRow) => teamsByProject.get(p.id) ?? [];

  switch (selection.kind) {
    case 'default': {
      // Organization credentials and superusers cover every project; users their teams' projects.
      const wide = access.isSuperuser || access.role === null;
      return { ok: true, projects: projects.filter((p) => (wide ? access.hasProjectAccess(teams(p)) : access.hasProjectMembership(teams(p)))) };
    }
    case 'all-accessible':
      return { ok: true, projects: projects.filter((p) => access.hasProjectAccess(teams(p))) };
    case 'ids':
    case 'slugs': {
      const wanted = selection.kind === 'ids' ? selection.ids.map(String) : selection.slugs;
      const byKey = new Map(projects.map((p) => [selection.kind === 'ids' ? String(p.id) : p.slug, p]));
      const chosen: ProjectRow[] = [];
      for (const key of new Set(wanted)) {
        const project = byKey.get(key);
        if (!project || !access.hasProjectAccess(teams(project))) return { ok: false, reason: 'forbidden' };
        chosen.push(project);
      }
      // `_validate_fetched_projects`: ids given with slugs must be the ids of the projects found.
      if (selection.kind === 'slugs' && selection.ids && selection.ids.length > 0) {
        const found = new Set(chosen.map((p) => p.id));
        const asked = new Set(selection.ids);
        if (asked.size !== found.size || [...asked].some((id) => !found.has(id))) return { ok: false, reason: 'forbidden' };
      }
      return { ok: true, projects: chosen };
    }
  }
}
