/**
 * The composition root: the one place that picks implementations (SQLite or PostgreSQL; the rate
 * limiter in memory, in the database or in Redis) and wires the services over them.
 */
import type { ChangeBus } from './changes/bus.ts';
import { PostgresChangeBus } from './changes/postgres-bus.ts';
import { SqliteChangeBus } from './changes/sqlite-bus.ts';
import type { Config } from './config.ts';
import { TrustedProxies } from './domain/client-address.ts';
import { upstreamHostPolicy } from './domain/upstream-hosts.ts';
import { DeliveryWorker } from './gateway/delivery.ts';
import { Gateway } from './gateway/gateway.ts';
import { Spool } from './gateway/spool.ts';
import { UpstreamLimits } from './gateway/upstream-limits.ts';
import { IngestGate } from './ingest/gate.ts';
import { KeyAlerts } from './ingest/key-alerts.ts';
import { KeyHealthRecorder } from './ingest/key-health.ts';
import { KeyHealthService } from './services/key-health.ts';
import { KeyCache } from './ingest/key-cache.ts';
import { KeyStatsRecorder } from './ingest/key-stats.ts';
import { IngestMetrics } from './ingest/metrics.ts';
import { DatabaseRateLimiter } from './ingest/rate-limit/database.ts';
import { CachedRefusals, type RateLimiter } from './ingest/rate-limit/limiter.ts';
import { MemoryRateLimiter } from './ingest/rate-limit/memory.ts';
import { RedisRateLimiter } from './ingest/rate-limit/redis.ts';
import { RecentEvents } from './ingest/recent-events.ts';
import { IngestRuntime } from './ingest/runtime.ts';
import { AccessCache } from './services/access-cache.ts';
import { AccessService } from './services/access.ts';
import { DirectoryService } from './services/directory.ts';
import { DatabaseOperations } from './services/operations.ts';
import { ApiRateLimiter, MemoryRequestCounter } from './services/api-rate-limit.ts';
import { AuditLogService } from './services/audit-log.ts';
import { CredentialService } from './services/credentials.ts';
import type { Services } from './services/index.ts';
import { KeySerializer } from './services/serializers/project-key.ts';
import { ExpirySweeper, KeyRotationService } from './services/key-rotation.ts';
import { KeyStatsService } from './services/key-stats.ts';
import { KeyTransferService } from './services/key-transfer.ts';
import { OrganizationService } from './services/organizations.ts';
import { ProjectKeyService } from './services/project-keys.ts';
import { ProjectService } from './services/projects.ts';
import { RecentEventService } from './services/recent-events.ts';
import { ApiSerializers } from './services/serializers/index.ts';
import { SessionService } from './services/sessions.ts';
import { DatabaseSignInThrottle } from './services/signin-throttle.ts';
import { UpstreamService } from './services/upstreams.ts';
import { UserService } from './services/users.ts';
import { openDatabase, type Database } from './storage/database.ts';

function rateLimiter(config: Config, db: Database): RateLimiter {
  switch (config.ingest.rateLimiter) {
    case 'memory':
      return new MemoryRateLimiter();
    case 'database':
      return new CachedRefusals(new DatabaseRateLimiter(db.stores.rateLimitCounters));
    case 'redis':
      return new CachedRefusals(new RedisRateLimiter(config.ingest.redisUrl as string));
  }
}

export interface ServiceOptions {
  /** The clock of rate-limit windows and stats buckets (tests pin it). */
  now?: () => number;
}

/** The database each set of services was built on, for closeServices alone. */
const databases = new WeakMap<Services, Database>();

export function createServices(config: Config, db: Database = openDatabase(config.database), options: ServiceOptions = {}): Services {
  const now = options.now ?? Date.now;
  const changes = changeBus(config, db);
  const accessCache = new AccessCache();
  db.onCommit(() => accessCache.clear());
  accessCache.follow(changes);
  const metrics = new IngestMetrics();
  const keyCache = new KeyCache((publicKeys, page) => db.stores.projectKeys.ingestKeys(publicKeys, page), changes);
  const stats = new KeyStatsRecorder(db.stores.keyStats);
  const recent = new RecentEvents(db.stores.recentEvents);
  const spool = new Spool(db, config.ingest.spoolMaxBytes, metrics, now);
  const upstreamLimits = new UpstreamLimits(now);
  const hosts = upstreamHostPolicy(config.ingest.upstreamHosts);
  const trustedProxies = new TrustedProxies(config.trustedProxies);
  const gateway = new Gateway(spool, upstreamLimits, trustedProxies, config.ingest.forwardUrl);
  const delivery = new DeliveryWorker(db, spool, upstreamLimits, hosts, metrics, { concurrency: config.ingest.deliveryConcurrency, now });
  spool.onCommitted = (deliveries) => delivery.committed(deliveries);
  metrics.queueSnapshot = () => db.stores.deliveries.queueByProject();
  const limiter = rateLimiter(config, db);
  const health = new KeyHealthRecorder();
  const alerts = new KeyAlerts(db, spool, { url: config.ingest.alertWebhookUrl, secret: config.ingest.alertWebhookSecret }, now);
  const gate = new IngestGate({ keys: keyCache, limiter, stats, recent, metrics, gateway, trustedProxies, health, alerts, maxBodyBytes: config.ingest.maxBodyBytes, now });
  // Sessions and sign-in counters live in the database: every instance sees the same ones.
  const throttle = new DatabaseSignInThrottle(db.stores.signInAttempts, config.sessions.throttleWindowSeconds);
  const sessions = new SessionService(db.stores.sessions, db.stores.users, throttle, config.sessions);
  const keyService = new ProjectKeyService(db, changes, accessCache);
  const rotation = new KeyRotationService(db, changes, now);
  const keySerializer = new KeySerializer({
    publicUrl: config.publicUrl,
    ingestUrl: config.ingestUrl,
    orgSubdomains: config.ingestOrgSubdomains,
    cdnUrl: config.loader.cdnUrl,
  });
  const services: Services = {
    changes,
    directory: new DirectoryService(db, accessCache),
    operations: new DatabaseOperations(db),
    credentials: new CredentialService(db, config.publicUrl, accessCache, changes),
    access: new AccessService(db.stores, accessCache),
    apiRateLimiter: new ApiRateLimiter(new MemoryRequestCounter(), config.apiRateLimit, now),
    auditLog: new AuditLogService(db),
    keys: keyService,
    keyTransfer: new KeyTransferService(db, keyService, keySerializer, changes),
    projects: new ProjectService(db, changes),
    organizations: new OrganizationService(db, changes, accessCache),
    users: new UserService(db, sessions),
    sessions,
    serializers: new ApiSerializers(db.stores, config.publicUrl),
    keySerializer,
    ingest: new IngestRuntime({ gate, keys: keyCache, limiter, stats, recent, metrics, spool, delivery, health, alerts }, db, config.ingest.statsFlushSeconds, now),
    keyHealth: new KeyHealthService(db.stores.keyHealth, health, now),
    keyStats: new KeyStatsService(db.stores.keyStats, stats, now),
    rotation,
    expirySweeper: new ExpirySweeper(rotation),
    recentEvents: new RecentEventService(db.stores.recentEvents, recent),
    upstreams: new UpstreamService(db, changes, hosts),
  };
  databases.set(services, db);
  return services;
}

/** Release what the services hold: cross-process listeners first, then the ingest counters, then the database. */
export async function closeServices(services: Services): Promise<void> {
  await services.expirySweeper.stop();
  await services.apiRateLimiter.close();
  await services.changes.close();
  try {
    await services.ingest.close();
  } finally {
    await databases.get(services)?.close();
  }
}

/**
 * Several instances on PostgreSQL: LISTEN/NOTIFY reaches them all. SQLite: the server's own changes
 * in memory, and those the CLI commits from another process through `PRAGMA data_version`.
 */
function changeBus(config: Config, db: Database): ChangeBus {
  if (config.database.kind === 'postgres') return new PostgresChangeBus(config.database.url, db.kysely);
  return new SqliteChangeBus(() => db.dataVersion() ?? 0);
}
