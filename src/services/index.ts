import type { ChangeBus } from '../changes/bus.ts';
import type { Database } from '../storage/database.ts';
import type { AccessService } from './access.ts';
import type { ApiRateLimiter } from './api-rate-limit.ts';
import type { AuditLogService } from './audit-log.ts';
import type { CredentialService } from './credentials.ts';
import type { KeySerializer } from './key-serializer.ts';
import type { KeyTransferService } from './key-transfer.ts';
import type { OrganizationService } from './organizations.ts';
import type { ProjectKeyService } from './project-keys.ts';
import type { ProjectService } from './projects.ts';
import type { ApiSerializers } from './serializers/index.ts';
import type { UserService } from './users.ts';

/** Everything the HTTP edge and the CLI call, built once by the composition root. */
export interface Services {
  db: Database;
  changes: ChangeBus;
  credentials: CredentialService;
  access: AccessService;
  apiRateLimiter: ApiRateLimiter;
  auditLog: AuditLogService;
  keys: ProjectKeyService;
  keyTransfer: KeyTransferService;
  projects: ProjectService;
  organizations: OrganizationService;
  users: UserService;
  keySerializer: KeySerializer;
  serializers: ApiSerializers;
}
