/**
 * The HTTP application, buildable without listening: tests build one per database and call
 * `inject` or `listen` on it; `server.ts` runs it as a process.
 */
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { Config } from './config.ts';
import { applyCorsHeaders } from './http/cors.ts';
import { authenticate, checkOrigin } from './http/authenticate.ts';
import { registerBodyParsers } from './http/body.ts';
import { enforceRateLimit } from './http/rate-limit.ts';
import { clientError, frameworkError, registerErrorHandler } from './http/error-handler.ts';
import { echoRequestId, RequestLog, requestId } from './logging.ts';
import { serializerCompiler, validatorCompiler } from './http/zod.ts';
import { apiIndexRoutes } from './routes/api-index.ts';
import { auditLogRoutes } from './routes/audit-logs.ts';
import { healthRoutes } from './routes/health.ts';
import { openApiRoutes } from './routes/openapi.ts';
import { organizationProjectKeyRoutes } from './routes/organization-project-keys.ts';
import { organizationRoutes } from './routes/organizations.ts';
import { projectKeyRoutes } from './routes/project-keys.ts';
import { projectRoutes } from './routes/projects.ts';
import { teamRoutes } from './routes/teams.ts';
import { userRoutes } from './routes/users.ts';
import type { Services } from './services/index.ts';
import { VERSION } from './version.ts';

export interface AppOptions {
  config: Config;
  services: Services;
  logger?: FastifyServerOptions['logger'];
}

export async function buildApp({ config, services, logger = false }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger,
    return503OnClosing: true,
    bodyLimit: 1024 * 1024,
    // Any length reaches the routes (and gets Sentry's 404), as in Django, instead of the router's 414.
    routerOptions: { maxParamLength: 16 * 1024 },
    frameworkErrors: frameworkError,
    clientErrorHandler: clientError,
    logController: new RequestLog(),
    genReqId: requestId,
  });
  echoRequestId(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerBodyParsers(app);
  registerErrorHandler(app);

  app.decorateRequest('principal', undefined);
  app.decorateRequest('orgContext', undefined);
  app.decorateRequest('projectContext', undefined);
  app.decorateRequest('teamContext', undefined);
  app.decorateRequest('projectKey', undefined);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'clientkeys',
        version: VERSION,
        description: "Sentry-compatible client keys (DSNs): Sentry's management API for projects' keys.",
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'A user auth token (sntryu_…) or an organization auth token (sntrys_…).' },
          basic: { type: 'http', scheme: 'basic', description: 'An organization API key as the user name, with an empty password.' },
        },
      },
      security: [{ bearer: [] }, { basic: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });

  await app.register(async (api) => {
    api.addHook('onRequest', async (request, reply) => {
      if (request.method === 'OPTIONS') return;
      request.principal = await authenticate(request.headers.authorization, services.credentials);
      checkOrigin(request, request.principal);
      await enforceRateLimit(services.apiRateLimiter, request, reply);
    });
    api.addHook('preValidation', async (request) => {
      // DRF reads a request without a body as an empty dict.
      if (request.body === undefined && (request.method === 'POST' || request.method === 'PUT')) request.body = {};
    });
    api.addHook('onSend', async (request, reply) => {
      applyCorsHeaders(request, reply);
    });
    await api.register(apiIndexRoutes);
    await api.register(projectKeyRoutes, { services, config });
    await api.register(organizationProjectKeyRoutes, { services, config });
    await api.register(auditLogRoutes, { services, config });
    await api.register(organizationRoutes, { services, config });
    await api.register(teamRoutes, { services, config });
    await api.register(projectRoutes, { services, config });
    await api.register(userRoutes, { services });
  });

  await app.register(openApiRoutes);
  await app.register(healthRoutes, { services });
  return app;
}
