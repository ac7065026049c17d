/** The key stats and recent events responses: what the endpoints may emit, and their OpenAPI. */
import { z } from 'zod';
import { queryParam } from './common.ts';

export const keyStatsQuery = z.object({
  since: queryParam.optional().describe('Unix timestamp of the first interval (default: a day before until).'),
  until: queryParam.optional().describe('Unix timestamp of the end (default: now).'),
  resolution: queryParam.optional().describe('Interval length: 10s, 1h or 1d (default 1d).'),
});

export type KeyStatsQuery = z.output<typeof keyStatsQuery>;

export const keyStatsSchema = z
  .array(
    z.object({
      ts: z.number().int().describe('Start of the interval, unix seconds.'),
      total: z.number().int(),
      dropped: z.number().int().describe('Events refused by the key\'s rate limit.'),
      accepted: z.number().int(),
      filtered: z.number().int().describe('Always 0: clientkeys applies no inbound filters.'),
    }),
  )
  .meta({ id: 'ClientKeyStats' });

export const recentEventsSchema = z
  .array(
    z.object({
      eventId: z.string().nullable().describe('32 hex characters; null for envelopes without an event (sessions, client reports).'),
      dateReceived: z.string(),
      endpoint: z.string().describe('The DSN endpoint: envelope, store, security, nel, minidump, unreal, cron, otlp…'),
      publicKey: z.string().describe('The client key that sent it.'),
      itemTypes: z.array(z.string()).describe('Envelope item types, e.g. ["event"], ["session"].'),
      size: z.number().int().describe('Body size in bytes, decompressed.'),
      sdk: z.string().nullable(),
      platform: z.string().nullable(),
      level: z.string().nullable(),
      title: z.string().nullable().describe("The last exception's type and value, else the message."),
    }),
  )
  .meta({ id: 'RecentEvents' });
