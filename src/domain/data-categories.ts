/**
 * Relay's data categories of envelope items (relay-server envelope/item.rs `Item::quantities`): what
 * rate limits and quotas name, and what an upstream's `X-Sentry-Rate-Limits` refers to. Attachments
 * and log bytes count bytes, containers (`item_count`) their items, everything else one each.
 */

export interface ItemMeta {
  type: string;
  /** The item header's `item_count` (logs, spans, trace metrics in containers). */
  itemCount: number | undefined;
  /** Payload length in bytes. */
  length: number;
  /** `content_type` of `integration` items. */
  contentType: string | undefined;
}

export type Quantities = [category: string, quantity: number][];

/** Relay's data-category names (relay-base-schema data_category.rs `DataCategory::name`), as quotas may name them. */
export const DATA_CATEGORIES = [
  'default',
  'error',
  'transaction',
  'security',
  'attachment',
  'attachment_item',
  'session',
  'profile',
  'profile_indexed',
  'profile_chunk',
  'profile_chunk_ui',
  'profile_duration',
  'profile_duration_ui',
  'replay',
  'transaction_processed',
  'transaction_indexed',
  'monitor',
  'monitor_seat',
  'span',
  'span_indexed',
  'feedback',
  'metric_bucket',
  'log_item',
  'log_byte',
  'trace_metric',
  'uptime',
] as const;

export type DataCategory = (typeof DATA_CATEGORIES)[number];

/** Sentry's `DataCategory.error_categories()`: what a key's `rateLimit` covers. */
export const ERROR_CATEGORIES = ['default', 'error', 'security'] as const;

export function itemQuantities(item: ItemMeta): Quantities {
  const count = item.itemCount ?? 1;
  switch (item.type) {
    case 'event':
    case 'unreal_report':
      return [['error', count]];
    case 'transaction':
      return [['transaction', count]];
    case 'security':
    case 'raw_security':
      return [['security', count]];
    case 'attachment':
      return [['attachment', Math.max(1, item.length)], ['attachment_item', count]];
    case 'session':
    case 'sessions':
      return [['session', count]];
    case 'log':
      return [['log_byte', Math.max(1, item.length)], ['log_item', count]];
    case 'trace_metric':
      return [['trace_metric', count]];
    case 'user_report':
    case 'feedback':
      // DataCategory::UserReportV2, whose name is "feedback".
      return [['feedback', count]];
    case 'profile':
      return [['profile', count]];
    case 'profile_chunk':
      return [['profile_chunk', count]];
    case 'replay_event':
    case 'replay_recording':
    case 'replay_video':
      return [['replay', count]];
    case 'check_in':
      return [['monitor', count]];
    case 'span':
      return [['span', count]];
    case 'integration':
      if (item.contentType?.includes('log')) return [['log_byte', Math.max(1, item.length)], ['log_item', count]];
      if (item.contentType?.includes('span')) return [['span', count]];
      return [];
    default:
      // nel, client_report, statsd, metric_buckets, form_data, unknown types: no category.
      return [];
  }
}

/** Whether a rate limit naming these categories (none: all) covers `category`. */
export function limitCovers(limitCategories: readonly string[], category: string): boolean {
  return limitCategories.length === 0 || limitCategories.includes(category);
}
