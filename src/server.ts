/**
 * The server process: open the database and check its schema (created when empty, migrated only
 * when AUTO_MIGRATE / `serve --migrate` says so), listen, and on SIGTERM/SIGINT stop accepting
 * connections, let in-flight requests finish, then close the database.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { closeServices, createServices } from './composition.ts';
import { redactUrl, type Config } from './config.ts';
import { loggerOptions } from './logging.ts';
import type { SchemaOutcome } from './schema-check.ts';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const services = createServices(config);
  let schema: SchemaOutcome;
  try {
    schema = await services.operations.ensureSchema({ migrate: config.autoMigrate });
    await services.ingest.start();
  } catch (error) {
    await closeServices(services);
    throw error;
  }
  const app = await buildApp({ config, services, logger: loggerOptions(config) });
  app.addHook('onClose', async () => {
    await closeServices(services);
  });
  if (schema.applied.length > 0) {
    app.log.info({ migrations: schema.applied }, schema.created ? 'database schema created' : 'database schema migrated');
  }
  services.expirySweeper.start((error) => app.log.error({ err: error }, 'marking rotated keys inactive failed; retrying'));
  const url = await app.listen({ port: config.port, host: config.host });
  void services.ingest.warmKeys().then((loaded) => {
    if (loaded) app.log.info(loaded, 'ingest key map loaded');
  });
  const database = config.database.kind === 'sqlite' ? `sqlite:${config.database.path}` : redactUrl(config.database.url);
  app.log.info({ url, publicUrl: config.publicUrl, database }, 'clientkeys is listening');
  return { app, url, close: () => app.close() };
}

/** Close gracefully on the first signal; a second one exits at once. */
export function closeOnSignals(server: RunningServer): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    server.app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
