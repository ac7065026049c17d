import type { ChangeBus } from '../changes/bus.ts';
import type { IngestRuntime } from '../ingest/runtime.ts';
import type { AccessService } from './access.ts';
import type { ApiRateLimiter } from './api-rate-limit.ts';
import type { AuditLogService } from './audit-log.ts';
import type { CredentialService } from './credentials.ts';
import type { DirectoryService } from './directory.ts';
import type { DatabaseOperations } from './operations.ts';
import type { KeySerializer } from './serializers/project-key.ts';
import type { ExpirySweeper, KeyRotationService } from './key-rotation.ts';
import type { KeyStatsService } from './key-stats.ts';
import type { KeyTransferService } from './key-transfer.ts';
import type { OrganizationService } from './organizations.ts';
import type { ProjectKeyService } from './project-keys.ts';
import type { ProjectService } from './projects.ts';
import type { SessionService } from './sessions.ts';
import type { ApiSerializers } from './serializers/index.ts';
import type { RecentEventService } from './recent-events.ts';
import type { KeyHealthService } from './key-health.ts';
import type { UpstreamService } from './upstreams.ts';
import type { UserService } from './users.ts';

/**
 * Everything the HTTP edge and the CLI call, built once by the composition root. The database is
 * not among them: only services and the ingest runtime hold it.
 */
export interface Services {
  changes: ChangeBus;
  /** Organizations, teams, projects and users by what a request or a command names them. */
  directory: DirectoryService;
  /** The schema, backups and restores. */
  operations: DatabaseOperations;
  credentials: CredentialService;
  access: AccessService;
  apiRateLimiter: ApiRateLimiter;
  auditLog: AuditLogService;
  keys: ProjectKeyService;
  keyTransfer: KeyTransferService;
  projects: ProjectService;
  organizations: OrganizationService;
  users: UserService;
  sessions: SessionService;
  keySerializer: KeySerializer;
  serializers: ApiSerializers;
  /** The DSN endpoints' gate with its key map, rate limiter and counters. */
  ingest: IngestRuntime;
  keyStats: KeyStatsService;
  rotation: KeyRotationService;
  /** Marks rotated keys inactive when their overlap ends; a server starts it. */
  expirySweeper: ExpirySweeper;
  recentEvents: RecentEventService;
  /** Projects' backends (gateway mode) and what delivery did. */
  upstreams: UpstreamService;
  /** Per key: is it used, is it refused and why, what SDKs dropped. */
  keyHealth: KeyHealthService;
}
