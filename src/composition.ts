/**
 * The composition root: the one place that picks implementations (SQLite or PostgreSQL today;
 * caches and rate limiters as they come) and wires the services over them.
 */
import { InMemoryChangeBus, type ChangeBus } from './changes/bus.ts';
import { PostgresChangeBus } from './changes/postgres-bus.ts';
import type { Config } from './config.ts';
import { AccessService } from './services/access.ts';
import { ApiRateLimiter, MemoryRequestCounter } from './services/api-rate-limit.ts';
import { AuditLogService } from './services/audit-log.ts';
import { CredentialService } from './services/credentials.ts';
import type { Services } from './services/index.ts';
import { KeySerializer } from './services/key-serializer.ts';
import { KeyTransferService } from './services/key-transfer.ts';
import { OrganizationService } from './services/organizations.ts';
import { ProjectKeyService } from './services/project-keys.ts';
import { ProjectService } from './services/projects.ts';
import { ApiSerializers } from './services/serializers/index.ts';
import { UserService } from './services/users.ts';
import { openDatabase, type Database } from './storage/database.ts';

export function createServices(config: Config, db: Database = openDatabase(config.database)): Services {
  const changes = changeBus(config, db);
  const keys = new ProjectKeyService(db, changes);
  const keySerializer = new KeySerializer(config.publicUrl);
  return {
    db,
    changes,
    credentials: new CredentialService(db, config.publicUrl),
    access: new AccessService(db.stores),
    apiRateLimiter: new ApiRateLimiter(new MemoryRequestCounter(), config.apiRateLimit),
    auditLog: new AuditLogService(db),
    keys,
    keyTransfer: new KeyTransferService(db, keys, keySerializer, changes),
    projects: new ProjectService(db, changes),
    organizations: new OrganizationService(db),
    users: new UserService(db),
    keySerializer,
    serializers: new ApiSerializers(db.stores, config.publicUrl),
  };
}

/** Release what the services hold: cross-process listeners first, then the database. */
export async function closeServices(services: Services): Promise<void> {
  await services.apiRateLimiter.close();
  await services.changes.close();
  await services.db.close();
}

/** One process: subscribers in memory. Several on PostgreSQL: LISTEN/NOTIFY reaches them all. */
function changeBus(config: Config, db: Database): ChangeBus {
  if (config.database.kind === 'postgres') return new PostgresChangeBus(config.database.url, db.kysely);
  return new InMemoryChangeBus();
}
