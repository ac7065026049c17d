/**
 * A project's client keys: `/api/0/projects/{org}/{project}/keys/` and `…/keys/{key_id}/`
 * (S:src/sentry/core/endpoints/project_keys.py, project_key_details.py).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { clientIp, projectContext } from '../http/context.ts';
import { validationError } from '../http/errors.ts';
import { keyGuard, projectGuard, projectKeyOf } from '../http/guards.ts';
import { paginated } from '../http/pagination.ts';
import { resource } from '../http/resource.ts';
import { emptyBody } from '../schemas/common.ts';
import {
  createKeyBody,
  policyInput,
  projectKeyListQuery,
  projectKeyListSchema,
  projectKeySchema,
  updateKeyBody,
  type CreateKeyBody,
  type ProjectKeyJson,
  type ProjectKeyListQuery,
  type UpdateKeyBody,
} from '../schemas/project-key.ts';
import type { Services } from '../services/index.ts';
import { actorOf, isSuperuser } from '../services/principal.ts';
import { keyParams, projectParams, type KeyParams } from '../schemas/params.ts';
import type { ProjectKeyRow } from '../storage/schema.ts';

const tags = ['Client Keys'];

/** `status` → the stored status to filter on; any other non-empty value matches nothing. */
function statusFilter(status: string | undefined): number | 'none' | undefined {
  if (!status) return undefined;
  if (status === 'active') return 0;
  if (status === 'inactive') return 1;
  return 'none';
}

export const CHOSEN_KEY_IN_USE = 'This key is already in use: choose another public and secret key, or leave them out to have them generated.';

/** A client key row as this caller is answered it: Sentry's JSON, with `useCase` for a superuser only. */
export async function keyAnswer(services: Services, request: FastifyRequest, organizationId: number): Promise<(row: ProjectKeyRow) => Readonly<ProjectKeyJson>> {
  const includeUseCase = isSuperuser(request.principal);
  const dsn = await services.organizations.dsnSettings(organizationId);
  return (row) => services.keySerializer.answer(row, { includeUseCase, dsn });
}

/**
 * Both key lists' tail (a project's, an organization's): one page of these projects' keys with the
 * `status` asked for (a non-superuser sees only user keys), answered as `keyAnswer` does.
 */
export async function keyListPage(
  { services, config }: { services: Services; config: Config },
  request: FastifyRequest,
  reply: FastifyReply,
  { projectIds, status: statusParam, organizationId }: { projectIds: number[]; status: string | undefined; organizationId: number },
): Promise<Readonly<ProjectKeyJson>[]> {
  const status = statusFilter(statusParam);
  const filter = { projectIds: status === 'none' ? [] : projectIds, userKeysOnly: !isSuperuser(request.principal), ...(typeof status === 'number' ? { status } : {}) };
  const rows = await paginated(request, reply, { publicUrl: config.publicUrl, defaultPerPage: 10 }, (page) => services.keys.list(filter, page));
  return rows.map(await keyAnswer(services, request, organizationId));
}

export async function projectKeyRoutes(app: FastifyInstance, { services, config }: { services: Services; config: Config }) {
  const guard = projectGuard(services);
  const serialize = (request: FastifyRequest) => keyAnswer(services, request, projectContext(request).organization.id);

  resource(app, '/api/0/projects/:org/:project/keys/', {
    GET: {
      options: {
        onRequest: guard,
        config: { rateLimitGroup: 'keys' },
        schema: {
          tags,
          summary: "List a Project's Client Keys",
          params: projectParams,
          querystring: projectKeyListQuery,
          response: { 200: projectKeyListSchema },
        },
      },
      handler: async (request: FastifyRequest<{ Querystring: ProjectKeyListQuery }>, reply: FastifyReply) => {
        const { project, organization } = projectContext(request);
        return keyListPage({ services, config }, request, reply, { projectIds: [project.id], status: request.query.status, organizationId: organization.id });
      },
    },
    POST: {
      options: {
        onRequest: guard,
        config: { rateLimitGroup: 'keys' },
        schema: {
          tags,
          summary: 'Create a New Client Key',
          params: projectParams,
          body: createKeyBody,
          response: { 201: projectKeySchema },
        },
      },
      handler: async (request: FastifyRequest<{ Body: CreateKeyBody }>, reply: FastifyReply) => {
        const { project, principal } = projectContext(request);
        const body = request.body;
        const superuser = isSuperuser(principal);
        const result = await services.keys.create(
          project,
          {
            name: body.name,
            rateLimit: body.rateLimit,
            public: body.public,
            secret: body.secret,
            useCase: superuser ? (body.useCase ?? 'user') : 'user',
            policy: policyInput(body),
          },
          actorOf(principal, clientIp(request)),
        );
        // A chosen key is unique across the whole installation. The refusal is one message, under the
        // field the request chose, whichever key collided and in whichever organization, so it
        // tells no caller anything about another organization's keys (SECURITY.md).
        if (!result.ok) throw validationError({ [body.public ? 'public' : 'secret']: [CHOSEN_KEY_IN_USE] });
        return reply.code(201).send((await serialize(request))(result.key));
      },
    },
  });

  const keyHooks = [guard, keyGuard(services)];
  const keyOf = projectKeyOf;

  resource(app, '/api/0/projects/:org/:project/keys/:key_id/', {
    GET: {
      options: {
        onRequest: keyHooks,
        schema: {
          tags,
          summary: 'Retrieve a Client Key',
          params: keyParams,
          response: { 200: projectKeySchema },
        },
      },
      handler: async (request: FastifyRequest) => (await serialize(request))(keyOf(request)),
    },
    PUT: {
      options: {
        onRequest: keyHooks,
        schema: {
          tags,
          summary: 'Update a Client Key',
          params: keyParams,
          body: updateKeyBody,
          response: { 200: projectKeySchema },
        },
      },
      handler: async (request: FastifyRequest<{ Params: KeyParams; Body: UpdateKeyBody }>) => {
        const key = keyOf(request);
        const { project, principal } = projectContext(request);
        const updated = await services.keys.update(project, key, { ...request.body, policy: policyInput(request.body) }, actorOf(principal, clientIp(request)));
        return (await serialize(request))(updated);
      },
    },
    DELETE: {
      options: {
        onRequest: keyHooks,
        schema: {
          tags,
          summary: 'Delete a Client Key',
          params: keyParams,
          response: { 204: emptyBody },
        },
      },
      handler: async (request: FastifyRequest<{ Params: KeyParams }>, reply: FastifyReply) => {
        const key = keyOf(request);
        const { project, principal } = projectContext(request);
        await services.keys.remove(project, key, actorOf(principal, clientIp(request)));
        return reply.code(204).send();
      },
    },
  });
}
