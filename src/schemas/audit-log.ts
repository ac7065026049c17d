import { z } from 'zod';
import { pageQuery, queryParam } from './common.ts';

export const auditLogEntrySchema = z.object({
  id: z.string(),
  actor: z.record(z.string(), z.unknown()).describe('The user who acted, or {"name": …} for an API key, a token or the CLI.'),
  event: z.string().describe('e.g. projectkey.add, projectkey.edit, projectkey.remove'),
  ipAddress: z.string().nullable(),
  note: z.string(),
  targetObject: z.number().int().nullable(),
  targetUser: z.null(),
  data: z.record(z.string(), z.unknown()).describe('What changed; never a secret.'),
  dateCreated: z.string(),
});

export const auditLogPageSchema = z
  .object({
    rows: z.array(auditLogEntrySchema),
    options: z.array(z.string()).describe('Every event name the log can hold.'),
  })
  .meta({ id: 'AuditLogPage' });

export const auditLogQuery = z.object({
  event: queryParam.optional().describe('Only entries of this event, e.g. projectkey.edit.'),
  actor: queryParam.optional().describe('Only entries by this user id.'),
  ...pageQuery,
});
export type AuditLogQuery = z.output<typeof auditLogQuery>;
