/**
 * The delivery queue's commit histograms: both are observed as each commit ends, so one scrape
 * shows the same commits in `clientkeys_spool_commit_events` and `clientkeys_spool_commit_seconds`,
 * and none is dropped however many commits come between scrapes.
 */
import { describe, expect, it } from 'vitest';
import { IngestMetrics } from '../src/ingest/metrics.ts';

function value(text: string, line: string): number {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  if (!found) throw new Error(`no ${line} in the exposition`);
  return Number(found.slice(line.length + 1));
}

describe('the commit histograms', () => {
  it('agree in one scrape, and keep every commit, 12,000 of them between scrapes', async () => {
    const metrics = new IngestMetrics();
    // Commits before prom-client has loaded (the first commit starts loading it) count too.
    metrics.commit(5, 1, true);
    metrics.commit(7, 2, true);
    const registry = await metrics.registry();
    let text = await registry.metrics();
    expect(value(text, 'clientkeys_spool_commit_events_count')).toBe(2);
    expect(value(text, 'clientkeys_spool_commit_seconds_count')).toBe(2);
    expect(value(text, 'clientkeys_spool_commit_events_sum')).toBe(12);

    for (let i = 0; i < 12_000; i += 1) metrics.commit(40, 1, true);
    metrics.commit(3, 1, false);
    text = await registry.metrics();
    expect(value(text, 'clientkeys_spool_commit_events_count')).toBe(12_003);
    expect(value(text, 'clientkeys_spool_commit_seconds_count')).toBe(12_003);
    expect(value(text, 'clientkeys_spool_commit_events_sum')).toBe(12 + 480_000 + 3);
    expect(value(text, 'clientkeys_spool_commit_failures_total')).toBe(1);
  });
});
