/**
 * A key's outcome counts over time, as Sentry's ProjectKeyStatsEndpoint answers them
 * (S:src/sentry/core/endpoints/project_key_stats.py): `since`/`until` unix timestamps (default: the
 * last day), `resolution` one of the tsdb rollups (10s, 1h, 1d; default 1d), intervals aligned as
 * `get_constrained_date_range` aligns them, one `{ts, total, dropped, accepted, filtered}` per interval.
 * `10s` is a rollup `_parse_args` accepts, but the outcomes query (QueryDefinition) takes only whole
 * minutes, so Sentry answers it 400 whatever the range: so does clientkeys.
 */
import type { KeyStatsRecorder } from '../ingest/key-stats.ts';
import type { KeyStatsBucket, KeyStatsStore } from '../storage/stores/key-stats.ts';
import { fail, ok, type Result } from './result.ts';

/** SENTRY_TSDB_ROLLUPS of a default install: 10 s, 1 h, 1 d. */
const ROLLUPS = [10, 3600, 86_400];
const ONE_DAY = 86_400;
/** The outcomes query's smallest interval (sessions_v2 / outcomes QueryDefinition). */
const MINUTE = 60;
/** sessions_v2 MAX_POINTS: more intervals than this is an invalid query. */
const MAX_POINTS = 1000;

export interface StatsQuery {
  since?: string | undefined;
  until?: string | undefined;
  resolution?: string | undefined;
}

export interface StatsPoint {
  ts: number;
  total: number;
  dropped: number;
  accepted: number;
  filtered: number;
}

export interface StatsRange {
  start: number;
  end: number;
  interval: number;
}

/** `StatsMixin._parse_resolution`: an integer with h, d, m or s. */
function parseResolution(value: string): number | undefined {
  const match = /^(\d+)([hdms])$/.exec(value);
  if (!match) return undefined;
  const unit = { h: 3600, d: ONE_DAY, m: 60, s: 1 }[match[2] as 'h' | 'd' | 'm' | 's'];
  return Number(match[1]) * unit;
}

/** Python's `float()` of a query value: decimal or exponent notation, surrounding whitespace. */
function parseTimestamp(value: string): number | undefined {
  const trimmed = value.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) return undefined;
  const number = Number(trimmed);
  return Number.isFinite(number) ? number : undefined;
}

/**
 * `_parse_args` then the outcomes query's `get_constrained_date_range`. Sentry turns every
 * failure of either into one 400, "Invalid request data", so the reason is only for logs.
 */
export function statsRange(query: StatsQuery, nowSeconds: number): Result<StatsRange> {
  let interval = ONE_DAY;
  if (query.resolution) {
    const parsed = parseResolution(query.resolution);
    if (parsed === undefined || !ROLLUPS.includes(parsed)) return fail('Invalid resolution');
    if (parsed % MINUTE !== 0) return fail('The interval has to be a multiple of the minimum interval of one minute.');
    interval = parsed;
  }
  let end = nowSeconds;
  if (query.until) {
    const parsed = parseTimestamp(query.until);
    if (parsed === undefined) return fail('until must be a numeric timestamp.');
    end = parsed;
  }
  let start = end - ONE_DAY + 1;
  if (query.since) {
    const parsed = parseTimestamp(query.since);
    if (parsed === undefined) return fail('since must be a numeric timestamp');
    if (parsed > end) return fail('start must be before or equal to end');
    start = parsed;
  }
  if (start > nowSeconds) start = nowSeconds;
  // to_intervals: the start down and the end up to whole intervals.
  const alignedStart = Math.floor(start / interval) * interval;
  let alignedEnd = Math.ceil(end / interval) * interval;
  if (alignedEnd <= alignedStart) alignedEnd = alignedStart + interval;
  if ((alignedEnd - alignedStart) / interval > MAX_POINTS) {
    return fail('Your interval and date range would create too many results. Use a larger interval, or a smaller date range.');
  }
  return ok({ start: alignedStart, end: alignedEnd, interval });
}

export class KeyStatsService {
  constructor(
    private readonly store: KeyStatsStore,
    private readonly recorder: KeyStatsRecorder,
    private readonly now: () => number = Date.now,
  ) {}

  async series(keyId: number, query: StatsQuery): Promise<Result<StatsPoint[]>> {
    const range = statsRange(query, Math.floor(this.now() / 1000));
    if (!range.ok) return range;
    const { start, end, interval } = range.value;
    // Day and hour intervals read the hourly buckets, shorter ones the 10-second buckets.
    const rollup = interval >= 3600 ? 3600 : 10;
    const buckets = await this.buckets(keyId, rollup, start, end);
    const points: StatsPoint[] = [];
    for (let ts = start; ts < end; ts += interval) points.push({ ts, total: 0, dropped: 0, accepted: 0, filtered: 0 });
    for (const bucket of buckets) {
      const point = points[Math.floor((bucket.ts - start) / interval)];
      if (!point) continue;
      point.accepted += bucket.accepted;
      point.dropped += bucket.dropped;
      point.filtered += bucket.filtered;
      point.total += bucket.accepted + bucket.dropped + bucket.filtered;
    }
    return ok(points);
  }

  /** Stored buckets plus this instance's unwritten counts, read again if a write landed meanwhile. */
  private async buckets(keyId: number, rollup: number, start: number, end: number): Promise<KeyStatsBucket[]> {
    for (;;) {
      await this.recorder.settled();
      const writes = this.recorder.writesStarted;
      const unwritten = this.recorder.unwritten(keyId, rollup, start, end);
      const stored = await this.store.buckets(keyId, rollup, start, end);
      if (writes === this.recorder.writesStarted) return [...stored, ...unwritten];
    }
  }
}
