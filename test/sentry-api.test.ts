/**
 * Sentry's own TypeScript client, `@sentry/api` from npm, pointed at clientkeys on loopback with
 * a base URL and a token, as a user would configure it. Every answer is checked against the
 * response type the package declares for that function and status (read from its .d.ts files by
 * `helpers/sentry-api-types.ts`): every required field present, with its JSON type.
 */
import * as api from '@sentry/api';
import { describe, expect, it } from 'vitest';
import { startOrg } from './helpers/harness.ts';
import { check, loadSentryApiTypes, requiredFields, responseShape, responsesTypeOf } from './helpers/sentry-api-types.ts';
import { suiteFixture } from './helpers/fixture.ts';

/**
 * Where real Sentry itself answers outside its published types, clientkeys answers as Sentry does.
 * ProjectDetailsEndpoint sets `dynamicSamplingBiases` to null when the organization has no dynamic
 * sampling (S:src/sentry/core/endpoints/project_details.py), though the schema types it an array.
 */
const SENTRY_ANSWERS_OUTSIDE_ITS_TYPES = new Set(['$.dynamicSamplingBiases: expected array, got null']);

interface Answer {
  data?: unknown;
  error?: unknown;
  response?: Response;
}

/**
 * A checked answer. Under `moduleResolution: NodeNext` the package's declarations resolve to
 * `any` (its index.d.ts re-exports './sdk.gen' without an extension), so the compiler checks
 * nothing here: the runtime check against those same declarations is what verifies the answers.
 */
type Checked = any;

/** The answer, after checking it against the type `@sentry/api` declares for `fn` at this status. */
async function typed(fn: string, call: Promise<Answer>, status: number): Promise<Checked> {
  const answer = await call;
  expect({ fn, status: answer.response?.status, error: answer.error }).toEqual({ fn, status, error: undefined });
  const problems = check(responseShape(responsesTypeOf(fn), status), answer.data).filter((p) => !SENTRY_ANSWERS_OUTSIDE_ITS_TYPES.has(p));
  expect({ fn, problems }).toEqual({ fn, problems: [] });
  return answer.data;
}

/** A refused call: its status and Sentry's error body, as `@sentry/api` hands them over. */
async function refused(call: Promise<Answer>): Promise<{ status: number | undefined; error: unknown }> {
  const answer = await call;
  return { status: answer.response?.status, error: answer.error };
}

const client = () => ({ baseUrl: t.h.baseUrl, auth: t.token });
const orgPath = () => ({ organization_id_or_slug: t.org.slug });

const t = suiteFixture(async (onCleanup) => {
  loadSentryApiTypes();
  const { seed, ...started } = await startOrg();
  const { h, org } = started;
  onCleanup(() => h.close());
  const team = await seed.team(org, 'backend');
  const web = await seed.project(org, 'web', team);
  const token = await seed.caller(org, 'owner@acme.example', 'owner', undefined, team);
  const other = await seed.org('globex');
  await seed.project(other, 'secret-project', await seed.team(other, 'globex-team'));
  const foreignToken = await seed.caller(other, 'owner@globex.example', 'owner');
  return { h, org, web, token, foreignToken };
});

describe('the checker reads @sentry/api, and has teeth', () => {
  it('finds the required fields of the organization type in the package', () => {
    const fields = requiredFields(responseShape(responsesTypeOf('retrieveAnOrganization'), 200));
    expect(fields).toEqual(expect.arrayContaining(['id', 'slug', 'name', 'links', 'status', 'dateCreated']));
  });

  it('reports a missing field and a wrong type', async () => {
    const answer = await api.retrieveAnOrganization({ ...client(), path: orgPath() });
    const broken = { ...(answer.data as Record<string, unknown>), id: 1 } as Record<string, unknown>;
    delete broken.slug;
    const problems = check(responseShape('RetrieveAnOrganizationResponses', 200), broken);
    expect(problems).toEqual(expect.arrayContaining(['$.id: expected string, got number', '$.slug: required, missing']));
  });
});

describe('organizations', () => {
  it('listYourOrganizations: the caller\'s organizations, nothing of another', async () => {
    const orgs = await typed('listYourOrganizations', api.listYourOrganizations({ ...client() }), 200);
    expect(orgs.map((o: { slug: string }) => o.slug)).toEqual(['acme']);
    const theirs = await typed('listYourOrganizations', api.listYourOrganizations({ baseUrl: t.h.baseUrl, auth: t.foreignToken }), 200);
    expect(theirs.map((o: { slug: string }) => o.slug)).toEqual(['globex']);
  });

  it('retrieveAnOrganization: links point at clientkeys, teams and projects included unless detailed=0', async () => {
    const detail = await typed('retrieveAnOrganization', api.retrieveAnOrganization({ ...client(), path: orgPath() }), 200);
    expect(detail).toMatchObject({ id: String(t.org.id), slug: 'acme', name: 'acme', status: { id: 'active', name: 'active' } });
    expect(detail.links).toEqual({ organizationUrl: t.h.config.publicUrl, regionUrl: t.h.config.publicUrl });
    const full = detail as unknown as { teams: { slug: string }[]; projects: { slug: string }[]; orgRole: string };
    expect(full.teams.map((t) => t.slug)).toEqual(['backend']);
    expect(full.projects.map((p: { slug: string }) => p.slug)).toContain('web');
    expect(full.orgRole).toBe('owner');
    const brief = await typed('retrieveAnOrganization', api.retrieveAnOrganization({ ...client(), path: orgPath(), query: { detailed: '0' } }), 200);
    expect(brief).not.toHaveProperty('teams');
  });

  it('retrieveAnOrganization of another organization: 403; of none: 404', async () => {
    expect(await refused(api.retrieveAnOrganization({ ...client(), path: { organization_id_or_slug: 'globex' } }))).toEqual({
      status: 403,
      error: { detail: 'You do not have permission to perform this action.' },
    });
    expect(await refused(api.retrieveAnOrganization({ ...client(), path: { organization_id_or_slug: 'nope' } }))).toEqual({
      status: 404,
      error: { detail: 'The requested resource does not exist' },
    });
  });
});

describe('teams', () => {
  it('listAnOrganization_sTeams, createANewTeam, retrieveATeam', async () => {
    const teams = await typed('listAnOrganization_sTeams', api.listAnOrganization_sTeams({ ...client(), path: orgPath() }), 200);
    expect(teams.map((t: { slug: string; isMember: boolean; teamRole: string }) => [t.slug, t.isMember, t.teamRole])).toEqual([['backend', true, 'admin']]);

    const created = await typed('createANewTeam', api.createANewTeam({ ...client(), path: orgPath(), body: { slug: 'frontend' } }), 201);
    expect(created).toMatchObject({ slug: 'frontend', name: 'frontend', isMember: true, memberCount: 1 });

    const fetched = await typed(
      'retrieveATeam',
      api.retrieveATeam({ ...client(), path: { ...orgPath(), team_id_or_slug: 'frontend' } }),
      200,
    );
    expect(fetched).toMatchObject({ id: created.id, slug: 'frontend', organization: { slug: 'acme' } });
  });
});

describe('projects', () => {
  let created: { id: string; slug: string };

  it('createANewProject under a team: 201, and its Default key is there at once', async () => {
    created = await typed(
      'createANewProject',
      api.createANewProject({ ...client(), path: { ...orgPath(), team_id_or_slug: 'backend' }, body: { name: 'new-app', platform: 'node' } }),
      201,
    );
    expect(created).toMatchObject({ slug: 'new-app', name: 'new-app', platform: 'node', team: { slug: 'backend' } });

    const keys = await typed(
      'listAProject_sClientKeys',
      api.listAProject_sClientKeys({ ...client(), path: { ...orgPath(), project_id_or_slug: created.slug } }),
      200,
    );
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ name: 'Default', isActive: true, projectId: Number(created.id) });
    expect(keys[0]!.dsn.public).toBe(`http://${keys[0]!.public}@testserver/${created.id}`);
  });

  it('createANewProject again with the same name gets a new slug; with a taken explicit slug, 409', async () => {
    const again = await typed(
      'createANewProject',
      api.createANewProject({ ...client(), path: { ...orgPath(), team_id_or_slug: 'backend' }, body: { name: 'new-app' } }),
      201,
    );
    expect(again.slug).toMatch(/^new-app-[a-z0-9]+$/);
    expect(
      await refused(
        api.createANewProject({ ...client(), path: { ...orgPath(), team_id_or_slug: 'backend' }, body: { name: 'x', slug: 'new-app' } }),
      ),
    ).toEqual({ status: 409, error: { detail: 'A project with this slug already exists.' } });
    expect(
      await refused(
        api.createANewProject({ ...client(), path: { ...orgPath(), team_id_or_slug: 'backend' }, body: { name: 'x', platform: 'cobol' } }),
      ),
    ).toEqual({ status: 400, error: { platform: ['Invalid platform'] } });
  });

  it("listAnOrganization_sProjects: every project of the organization, none of another's", async () => {
    const projects = await typed('listAnOrganization_sProjects', api.listAnOrganization_sProjects({ ...client(), path: orgPath() }), 200);
    const slugs = projects.map((p: { slug: string }) => p.slug);
    expect(slugs).toEqual([...slugs].sort());
    expect(slugs).toEqual(expect.arrayContaining(['web', 'new-app']));
    expect(slugs).not.toContain('secret-project');
  });

  it('retrieveAProject and updateAProject', async () => {
    const project = await typed(
      'retrieveAProject',
      api.retrieveAProject({ ...client(), path: { ...orgPath(), project_id_or_slug: 'web' } }),
      200,
    );
    expect(project).toMatchObject({ id: String(t.web.id), slug: 'web', status: 'active', organization: { slug: 'acme' } });
    expect(project.organization.links.regionUrl).toBe(t.h.config.publicUrl);

    const updated = await typed(
      'updateAProject',
      api.updateAProject({ ...client(), path: { ...orgPath(), project_id_or_slug: 'web' }, body: { name: 'Web Shop', isBookmarked: true, subjectPrefix: '[web]' } }),
      200,
    );
    expect(updated).toMatchObject({ name: 'Web Shop', isBookmarked: true, subjectPrefix: '[web]', slug: 'web' });
    const projects = await typed('listAnOrganization_sProjects', api.listAnOrganization_sProjects({ ...client(), path: orgPath() }), 200);
    expect(projects[0]!.slug).toBe('web');
  });

  it('deleteAProject: 204, then the project and its keys are gone', async () => {
    await typed('deleteAProject', api.deleteAProject({ ...client(), path: { ...orgPath(), project_id_or_slug: created.slug } }), 204);
    expect((await refused(api.retrieveAProject({ ...client(), path: { ...orgPath(), project_id_or_slug: created.slug } }))).status).toBe(404);
    expect((await refused(api.listAProject_sClientKeys({ ...client(), path: { ...orgPath(), project_id_or_slug: created.slug } }))).status).toBe(404);
    const all = await typed('listAnOrganization_sClientKeys', api.listAnOrganization_sClientKeys({ ...client(), path: orgPath() }), 200);
    expect(all.map((k: { projectId: number }) => k.projectId)).not.toContain(Number(created.id));
  });

  it('a project of another organization: 403; an unknown one: 404', async () => {
    expect(await refused(api.retrieveAProject({ ...client(), path: { organization_id_or_slug: 'globex', project_id_or_slug: 'secret-project' } }))).toEqual({
      status: 403,
      error: { detail: 'You do not have permission to perform this action.' },
    });
    expect((await refused(api.retrieveAProject({ ...client(), path: { ...orgPath(), project_id_or_slug: 'nope' } }))).status).toBe(404);
  });
});

describe('client keys', () => {
  const path = () => ({ ...orgPath(), project_id_or_slug: 'web' });

  it('create, retrieve, update, list organization-wide, delete', async () => {
    const key = await typed('createANewClientKey', api.createANewClientKey({ ...client(), path: path(), body: { name: 'CI' } }), 201);
    expect(key).toMatchObject({ name: 'CI', isActive: true, projectId: t.web.id });

    const fetched = await typed('retrieveAClientKey', api.retrieveAClientKey({ ...client(), path: { ...path(), key_id: key.id } }), 200);
    expect(fetched).toEqual(key);

    const updated = await typed(
      'updateAClientKey',
      api.updateAClientKey({ ...client(), path: { ...path(), key_id: key.id }, body: { name: 'CI 2', isActive: false, rateLimit: { window: 60, count: 100 } } }),
      200,
    );
    expect(updated).toMatchObject({ name: 'CI 2', isActive: false, rateLimit: { window: 60, count: 100 } });

    const listed = await typed('listAProject_sClientKeys', api.listAProject_sClientKeys({ ...client(), path: path() }), 200);
    expect(listed.map((k: { name: string }) => k.name)).toEqual(['CI 2', 'Default']);

    const orgWide = await typed(
      'listAnOrganization_sClientKeys',
      api.listAnOrganization_sClientKeys({ ...client(), path: orgPath(), query: { status: 'inactive' } }),
      200,
    );
    expect(orgWide.map((k: { id: string }) => k.id)).toEqual([key.id]);

    await typed('deleteAClientKey', api.deleteAClientKey({ ...client(), path: { ...path(), key_id: key.id } }), 204);
    expect((await refused(api.retrieveAClientKey({ ...client(), path: { ...path(), key_id: key.id } }))).status).toBe(404);
  });
});
