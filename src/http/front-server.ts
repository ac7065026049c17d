/**
 * The HTTP server Fastify runs on (its `serverFactory`): the server Fastify would create, with the
 * same timeouts, and a listener of the composition's choosing (app.ts offers each request to the
 * DSN endpoints' own handler first, routes/ingest-handler.ts, and the rest to Fastify).
 */
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export interface FrontServerOptions {
  http?: ServerOptions | null;
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
  maxRequestsPerSocket?: number;
}

export function frontServer(options: FrontServerOptions, listener: Listener): Server {
  const server = createServer(options.http ?? {}, listener);
  // As Fastify's own server (fastify/lib/server.js), whose defaults arrive in `options`.
  if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
  if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout;
  if (options.connectionTimeout !== undefined) server.setTimeout(options.connectionTimeout);
  if (options.maxRequestsPerSocket !== undefined && options.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
  return server;
}
