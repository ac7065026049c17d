/**
 * The router's options, shared by Fastify's router and the DSN endpoints' own (routes/ingest-handler.ts),
 * so that both route a path alike.
 */
export const ROUTER_OPTIONS = {
  // Any length reaches the routes (and gets Sentry's 404), as in Django, instead of the router's 414.
  maxParamLength: 16 * 1024,
} as const;
