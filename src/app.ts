/**
 * The HTTP application, buildable without listening: tests build one per database and call
 * `inject` or `listen` on it; `server.ts` runs it as a process.
 */
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import { METHODS } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { Config } from './config.ts';
import { applyCorsHeaders } from './http/cors.ts';
import { applySentryHeaders } from './http/sentry-headers.ts';
import { authenticate, authenticateAuthIndex, checkOrigin } from './http/authenticate.ts';
import { registerBodyParsers } from './http/body.ts';
import { lingerIfUnread } from './http/linger.ts';
import { registerHttpMethods } from './http/resource.ts';
import { enforceRateLimit } from './http/rate-limit.ts';
import { clientError, frameworkError, registerErrorHandler } from './http/error-handler.ts';
import { SessionCookies } from './http/session-cookies.ts';
import { echoRequestId, RequestLog, requestId } from './logging.ts';
import { serializerCompiler, validatorCompiler } from './http/zod.ts';
import { apiIndexRoutes } from './routes/api-index.ts';
import { auditLogRoutes } from './routes/audit-logs.ts';
import { authIndexRoutes } from './routes/auth-index.ts';
import { healthRoutes } from './routes/health.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { IngestHandler, isIngestUrl } from './routes/ingest-handler.ts';
import { frontServer } from './http/front-server.ts';
import { ROUTER_OPTIONS } from './http/router-options.ts';
import { jsSdkLoaderRoutes } from './routes/js-sdk-loader.ts';
import { keyStatsRoutes } from './routes/key-stats.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { openApiRoutes } from './routes/openapi.ts';
import { organizationProjectKeyRoutes } from './routes/organization-project-keys.ts';
import { organizationRoutes } from './routes/organizations.ts';
import { keyRotationRoutes } from './routes/key-rotation.ts';
import { projectKeyRoutes } from './routes/project-keys.ts';
import { projectRoutes } from './routes/projects.ts';
import { settingsPageRoutes } from './routes/settings-pages.ts';
import { signInRoutes } from './routes/sign-in.ts';
import { teamRoutes } from './routes/teams.ts';
import { userRoutes } from './routes/users.ts';
import { recentEventRoutes } from './routes/recent-events.ts';
import { projectUpstreamRoutes } from './routes/project-upstream.ts';
import { keyHealthRoutes } from './routes/key-health.ts';
import type { Services } from './services/index.ts';
import { VERSION } from './version.ts';
import { loadAssets } from './web/assets.ts';
import { securityHeaders } from './web/security-headers.ts';

export interface AppOptions {
  config: Config;
  services: Services;
  logger?: FastifyServerOptions['logger'];
}

export async function buildApp({ config, services, logger = false }: AppOptions): Promise<FastifyInstance> {
  // The DSN endpoints are served ahead of Fastify, on the server's own listener (routes/ingest-handler.ts).
  let ingest: IngestHandler | undefined;
  const app = Fastify({
    serverFactory: (fastify, options) =>
      frontServer(options, (req, res) => {
        if (ingest === undefined || !ingest.take(req, res)) fastify(req, res);
      }),
    logger,
    // One line per request, with its route and duration; DSN endpoints are counted by /metrics
    // instead of logged line by line (see routes/ingest-handler.ts).
    logController: new RequestLog({ disableRequestLogging: (request: { url?: string }) => isIngestUrl(request.url ?? '') }),
    return503OnClosing: true,
    bodyLimit: 1024 * 1024,
    routerOptions: ROUTER_OPTIONS,
    frameworkErrors: frameworkError,
    clientErrorHandler: clientError,
    genReqId: requestId,
  });
  ingest = ingestHandler(app, services, config);
  echoRequestId(app);
  registerHttpMethods(app, METHODS);
  // Any answer sent before its request's body arrived (a 413, a 401 decided on the headers) drains
  // the body before the connection may close, so the client reads the answer.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (lingerIfUnread(request.raw, request.routeOptions.bodyLimit ?? config.ingest.maxBodyBytes)) reply.header('connection', 'close');
    done(null, payload);
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerBodyParsers(app);
  registerErrorHandler(app);

  app.decorateRequest('principal', undefined);
  app.decorateRequest('orgContext', undefined);
  app.decorateRequest('projectContext', undefined);
  app.decorateRequest('teamContext', undefined);
  app.decorateRequest('projectKey', undefined);
  // Cookies are parsed for every request: the API's last authenticator is the session cookie.
  await app.register(cookie);
  const cookies = new SessionCookies(config.sessions);
  const authenticators = { credentials: services.credentials, sessions: services.sessions, cookies, publicUrl: config.publicUrl };

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
      request.principal = request.routeOptions.config.authIndex
        ? await authenticateAuthIndex(request, authenticators)
        : await authenticate(request, authenticators);
      checkOrigin(request, request.principal);
      await enforceRateLimit(services.apiRateLimiter, request, reply);
    });
    api.addHook('preValidation', async (request) => {
      // DRF reads a request without a body as an empty dict.
      if (request.body === undefined && (request.method === 'POST' || request.method === 'PUT')) request.body = {};
    });
    api.addHook('onSend', async (request, reply) => {
      applyCorsHeaders(request, reply);
      applySentryHeaders(request, reply);
    });
    await api.register(apiIndexRoutes);
    await api.register(authIndexRoutes, { services, cookies });
    await api.register(projectKeyRoutes, { services, config });
    await api.register(keyRotationRoutes, { services });
    await api.register(organizationProjectKeyRoutes, { services, config });
    await api.register(auditLogRoutes, { services, config });
    await api.register(organizationRoutes, { services, config });
    await api.register(teamRoutes, { services, config });
    await api.register(projectRoutes, { services, config });
    await api.register(userRoutes, { services });
    await api.register(keyStatsRoutes, { services });
    await api.register(recentEventRoutes, { services });
    await api.register(projectUpstreamRoutes, { services });
    await api.register(keyHealthRoutes, { services });
  });

  // The DSN endpoints, outside /api/0/: their own body parsing, CORS and error shape.
  await app.register(ingestRoutes, { ingest });
  await app.register(jsSdkLoaderRoutes, { services, config });
  await app.register(metricsRoutes, { services });
  // The web page: sign-in and the settings pages, with their security headers.
  const assets = await loadAssets();
  await app.register(async (web) => {
    web.addHook('onSend', securityHeaders({ https: config.publicUrl.startsWith('https:') }));
    await web.register(signInRoutes, { services, config, cookies });
    await web.register(settingsPageRoutes, { services, config, cookies, assets });
  });

  await app.register(openApiRoutes);
  await app.register(healthRoutes, { services });
  return app;
}

/**
 * One logger for every ingest request instead of a child per request, at warn or quieter: at ingest
 * volumes the metrics count requests, the log keeps what went wrong.
 */
function ingestHandler(app: FastifyInstance, services: Services, config: Config): IngestHandler {
  const quieter = ['error', 'fatal', 'silent'].includes(app.log.level);
  const log = app.log.child({ component: 'ingest' }, { level: quieter ? app.log.level : 'warn' });
  const handler = new IngestHandler({ gate: services.ingest.gate, metrics: services.ingest.parts.metrics, config, log });
  // Fastify answers 503 from here on; so does the handler, for what reaches it first.
  app.addHook('preClose', (done) => {
    handler.closing = true;
    done();
  });
  return handler;
}
