/** The key as Sentry's ProjectKeySerializer emits it: every field, in order, with its formats. */
import { describe, expect, it } from 'vitest';
import { KeySerializer } from '../src/services/serializers/project-key.ts';
import type { ProjectKeyRow } from '../src/storage/schema.ts';
import { request, Seed, startHarness } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

/** Sentry's fields in Sentry's order, then clientkeys' rotation fields. */
const FIELDS = [
  'id', 'name', 'label', 'public', 'secret', 'projectId', 'isActive', 'rateLimit', 'dsn',
  'browserSdkVersion', 'browserSdk', 'dateCreated', 'dynamicSdkLoaderOptions',
  'dateExpires', 'replacedBy', 'replaces', 'quotas', 'allowedIps', 'deniedIps', 'allowedOrigins', 'requireOrigin', 'serverOnly',
];
const DSN_FIELDS = ['secret', 'public', 'csp', 'security', 'minidump', 'nel', 'unreal', 'crons', 'cdn', 'playstation', 'integration', 'otlp_traces', 'otlp_logs'];

function row(overrides: Partial<ProjectKeyRow> = {}): ProjectKeyRow {
  return {
    id: 1,
    project_id: 42,
    label: 'Default',
    public_key: 'abc',
    secret_key: 'xyz',
    roles: 1,
    status: 0,
    date_added: '2026-01-29T17:41:02.969782Z',
    rate_limit_count: null,
    rate_limit_window: null,
    data: '{}',
    use_case: 'user',
    expires_at: null,
    replaced_by: null,
    policy: null,
    replaces: null,
    ...overrides,
  };
}

describe('KeySerializer', () => {
  it("builds DSNs as Sentry's test_get_dsn", () => {
    const json = new KeySerializer('http://testserver').serialize(row(), { includeUseCase: false });
    expect(json.dsn.secret).toBe('http://abc:xyz@testserver/42');
    expect(json.dsn.public).toBe('http://abc@testserver/42');
    expect(json.dsn.csp).toBe('http://testserver/api/42/csp-report/?sentry_key=abc');
    expect(json.dsn.unreal).toBe('http://testserver/api/42/unreal/abc/');
    expect(json.dsn.crons).toBe('http://testserver/api/42/cron/___MONITOR_SLUG___/abc/');
    expect(json.dsn.cdn).toBe('http://testserver/js-sdk-loader/abc.min.js');
  });

  it('keeps a PUBLIC_URL path and port in every URL', () => {
    const json = new KeySerializer('https://errors.example.com:8443/sentry').serialize(row(), { includeUseCase: false });
    expect(json.dsn.public).toBe('https://abc@errors.example.com:8443/sentry/42');
    expect(json.dsn.security).toBe('https://errors.example.com:8443/sentry/api/42/security/?sentry_key=abc');
  });

  it('shows a rate limit only when both numbers are non-zero, and names a nameless key by its key', () => {
    const s = new KeySerializer('http://testserver');
    expect(s.serialize(row({ rate_limit_count: 5, rate_limit_window: 60 }), { includeUseCase: false }).rateLimit).toEqual({ window: 60, count: 5 });
    expect(s.serialize(row({ rate_limit_count: 0, rate_limit_window: 60 }), { includeUseCase: false }).rateLimit).toBeNull();
    const nameless = s.serialize(row({ label: '', public_key: '0123456789abcdef0123456789abcdef' }), { includeUseCase: false });
    expect(nameless.name).toBe('0123456789abcd');
    expect(nameless.label).toBe('0123456789abcd');
  });

  it("adds useCase after Sentry's other fields, for superusers only, and clientkeys' own fields after it", () => {
    const s = new KeySerializer('http://testserver');
    expect(Object.keys(s.serialize(row(), { includeUseCase: true })).slice(-10)).toEqual(['useCase', 'dateExpires', 'replacedBy', 'replaces', 'quotas', 'allowedIps', 'deniedIps', 'allowedOrigins', 'requireOrigin', 'serverOnly']);
    expect(s.serialize(row(), { includeUseCase: false })).not.toHaveProperty('useCase');
  });

  it('shows a key whose overlap has ended as inactive, before any sweep has stored it', () => {
    const s = new KeySerializer('http://testserver');
    const rotating = row({ expires_at: '2030-01-01T00:00:00.000000Z', replaced_by: 'b'.repeat(32) });
    expect(s.serialize(rotating, { includeUseCase: false, now: Date.parse('2029-12-31T23:59:59Z') })).toMatchObject({
      isActive: true,
      dateExpires: '2030-01-01T00:00:00.000000Z',
      replacedBy: 'b'.repeat(32),
      replaces: null,
    });
    expect(s.serialize(rotating, { includeUseCase: false, now: Date.parse('2030-01-01T00:00:01Z') }).isActive).toBe(false);
  });
});

describe('the key on the wire', () => {
  const h = suiteFixture(async (onCleanup) => {
    const h = await startHarness();
    onCleanup(() => h.close());
    return h;
  });

  it('emits every field in order with the right types', async () => {
    const seed = new Seed(h.services);
    const org = await seed.org('order');
    const project = await seed.project(org, 'web');
    const token = await seed.caller(org, 'o@example.com');
    const res = await request(h, 'GET', `/api/0/projects/order/web/keys/`, { token });
    const key = res.body[0];
    // Key order is what JSON clients see; compare on the raw text, not a re-parsed object.
    expect(Object.keys(JSON.parse(res.text)[0])).toEqual(FIELDS);
    expect(Object.keys(key.dsn)).toEqual(DSN_FIELDS);
    expect(key.id).toMatch(/^[0-9a-f]{32}$/);
    expect(key.secret).toMatch(/^[0-9a-f]{32}$/);
    expect(key.id).toBe(key.public);
    expect(key.projectId).toBe(project.id);
    expect(res.text).toContain(`"projectId":${project.id},`);
    expect(key.isActive).toBe(true);
    expect(key.rateLimit).toBeNull();
    expect(key.dateCreated).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(Math.abs(Date.parse(key.dateCreated) - Date.now())).toBeLessThan(60_000);
    expect(key.browserSdkVersion).toBe('10.x');
    expect(key.browserSdk).toEqual({ choices: [['10.x', '10.x'], ['9.x', '9.x'], ['8.x', '8.x'], ['7.x', '7.x']] });
    expect(Object.keys(key.dynamicSdkLoaderOptions)).toEqual(['hasReplay', 'hasPerformance', 'hasDebug', 'hasFeedback', 'hasLogsAndMetrics']);
    expect(key.dynamicSdkLoaderOptions).toEqual({ hasReplay: true, hasPerformance: true, hasDebug: false, hasFeedback: false, hasLogsAndMetrics: false });
  });

  it('never sends a column the schema does not list', async () => {
    const seed = new Seed(h.services);
    const org = await seed.org('leaks');
    await seed.project(org, 'web');
    const token = await seed.caller(org, 'l@example.com');
    const res = await request(h, 'GET', `/api/0/projects/leaks/web/keys/`, { token });
    for (const column of ['roles', 'use_case', 'date_added', 'rate_limit_count', 'project_id', 'data', 'status']) {
      expect(res.text).not.toContain(`"${column}"`);
    }
  });
});
