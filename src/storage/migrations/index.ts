import type { Migration } from 'kysely';
import type { Dialect } from '../dialect.ts';
import { initial } from './0001-initial.ts';
import { projectOptionsAndBookmarks } from './0002-project-options-bookmarks.ts';
import { credentialExpiry } from './0003-credential-expiry.ts';
import { sessions } from './0006-sessions.ts';
import { keyRotation } from './0004-key-rotation.ts';
import { ingest } from './0005-ingest.ts';
import { organizationOptionsAndProjectRedirects } from './0007-organization-options-project-redirects.ts';
import { gateway } from './0008-gateway.ts';
import { keyPolicy } from './0009-key-policy.ts';
import { keyHealth } from './0010-key-health.ts';

/**
 * Every schema version, in order. Forward-only: a released migration is never edited, a change is
 * a new entry.
 */
export function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001-initial': initial(dialect),
    '0002-project-options-bookmarks': projectOptionsAndBookmarks(dialect),
    '0003-credential-expiry': credentialExpiry(),
    '0004-key-rotation': keyRotation(),
    '0005-ingest': ingest(dialect),
    '0006-sessions': sessions(dialect),
    '0007-organization-options-project-redirects': organizationOptionsAndProjectRedirects(dialect),
    '0008-gateway': gateway(dialect),
    '0009-key-policy': keyPolicy(),
    '0010-key-health': keyHealth(),
  };
}
