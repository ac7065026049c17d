/**
 * The keys page's gateway sections in a real headless Chromium, against the real server: the
 * project's upstream (an owner sets and clears it, a bad DSN shows the server's error, the
 * delivery numbers are the API's, a member sees the state without the controls), a key's policy
 * form (quotas, IP and origin rules, checked through the API; a bad CIDR's field error), and key
 * health (a disabled key still sent to says so; refusals by reason and SDK drops under the chart).
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProjectKeyJson } from '../src/schemas/project-key.ts';
import type { UpstreamStateJson } from '../src/schemas/project.ts';
import type { ProjectRow } from '../src/storage/schema.ts';
import { launchChromium } from './helpers/chromium.ts';
import { backendDsn, queueDrained, RecordingBackend } from './helpers/gateway.ts';
import { request } from './helpers/harness.ts';
import { envelopePath, eventEnvelope, send } from './helpers/ingest.ts';
import { card, MEMBER, OWNER, startPageFixture, WebPages } from './helpers/web-page.ts';
import { suiteFixture } from './helpers/fixture.ts';

/** The backend's key: it must never reach the page. */
const BACKEND_KEY = 'b'.repeat(32);

const t = suiteFixture(async (onCleanup) => {
  // The harness allows loopback upstreams (UPSTREAM_HOSTS=127.0.0.1), where the backend listens.
  const fixture = await startPageFixture(['web']);
  const { h, token } = fixture;
  onCleanup(() => h.close());
  const web = fixture.projects.web as ProjectRow;
  const backend = new RecordingBackend();
  const backendBase = await backend.start();
  onCleanup(() => backend.stop());
  const browser = await launchChromium();
  onCleanup(() => browser.close());
  const pages = new WebPages(browser, h);
  onCleanup(() => pages.close());
  // As test/web-page.test.ts: docs/screenshots/ with UPDATE_SCREENSHOTS=1, else the test's own folder.
  const shots = process.env.UPDATE_SCREENSHOTS === '1' ? join(import.meta.dirname, '..', 'docs', 'screenshots') : join(h.dir, 'screenshots');
  mkdirSync(shots, { recursive: true });
  return { h, pages, web, token, backend, backendBase, shots };
});

afterEach(() => {
  expect(t.pages.problems).toEqual([]);
});

const keysPage = `/settings/acme/projects/web/keys/`;
const projectApi = '/api/0/projects/acme/web/';

async function upstreamOverApi(): Promise<UpstreamStateJson> {
  const res = await request<UpstreamStateJson>(t.h, 'GET', `${projectApi}upstream/`, { token: t.token });
  expect(res.status).toBe(200);
  return res.body;
}

async function keyOverApi(id: string): Promise<ProjectKeyJson> {
  const res = await request<ProjectKeyJson>(t.h, 'GET', `${projectApi}keys/${id}/`, { token: t.token });
  expect(res.status).toBe(200);
  return res.body;
}

async function createKey(body: Record<string, unknown>): Promise<ProjectKeyJson> {
  const res = await request<ProjectKeyJson>(t.h, 'POST', `${projectApi}keys/`, { token: t.token, body });
  expect(res.status).toBe(201);
  return res.body;
}

/** The text of one delivery number in the upstream section. */
const shown = (page: Page, stat: string) => page.locator(`[data-section="upstream"] [data-stat="${stat}"]`).textContent();

describe('the upstream section', () => {
  let page: Page;

  it('lets an owner set an upstream DSN: the page shows its host and project id, never its key, and the API has it', async () => {
    page = await t.pages.signedIn(OWNER, keysPage);
    const section = page.locator('[data-section="upstream"]');
    await section.locator('[data-upstream="none"]').waitFor();
    await section.getByLabel('Upstream DSN').fill(backendDsn(t.backendBase, BACKEND_KEY, 42));
    await section.getByRole('button', { name: 'Save upstream' }).click();
    await section.locator('[data-upstream="host"]').waitFor();
    expect(await section.locator('[data-upstream="host"]').textContent()).toBe(`127.0.0.1:${t.backend.port}`);
    expect(await section.locator('[data-upstream="project-id"]').textContent()).toBe('42');
    const project = await request(t.h, 'GET', projectApi, { token: t.token });
    expect(project.body.upstream).toEqual({ host: `127.0.0.1:${t.backend.port}`, projectId: '42' });
    expect(await page.content()).not.toContain(BACKEND_KEY);
  });

  it("shows the delivery numbers the API gives: delivered, refused, the queue and the backend's last error", async () => {
    let answered = 0;
    t.backend.answer = () => {
      answered += 1;
      return answered <= 2 ? { status: 200, body: '{}' } : { status: 403, body: '{"detail":"event submission rejected with_reason: ProjectId"}' };
    };
    const [defaultKey] = (await request<ProjectKeyJson[]>(t.h, 'GET', `${projectApi}keys/`, { token: t.token })).body;
    for (let i = 0; i < 3; i++) expect((await send(t.h, envelopePath(t.web, defaultKey!.id), { body: eventEnvelope() })).status).toBe(200);
    await t.backend.waitFor(3);
    await queueDrained(t.h);
    let state = await upstreamOverApi();
    for (let tries = 0; state.delivered + state.refused < 3 && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      state = await upstreamOverApi();
    }
    expect(state).toMatchObject({ delivered: 2, refused: 1, queued: 0, oldestQueued: null, lastError: { status: 403 } });

    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.locator('[data-stat="delivered"]', { hasText: '2' }).waitFor();
    expect(await shown(page, 'delivered')).toBe(String(state.delivered));
    expect(await shown(page, 'refused')).toBe(String(state.refused));
    expect(await shown(page, 'retrying')).toBe(String(state.retrying));
    expect(await shown(page, 'queued')).toBe(String(state.queued));
    expect(await shown(page, 'oldestQueued')).toBe('None');
    expect(await shown(page, 'lastError')).toContain(`HTTP 403: ${state.lastError!.reason}`);
  });

  it('shows what waits for a failing backend: retrying, the queue and how old its oldest request is', async () => {
    t.backend.answer = () => ({ status: 503, body: '{"detail":"down for maintenance"}' });
    const received = t.backend.received.length;
    const [defaultKey] = (await request<ProjectKeyJson[]>(t.h, 'GET', `${projectApi}keys/`, { token: t.token })).body;
    expect((await send(t.h, envelopePath(t.web, defaultKey!.id), { body: eventEnvelope() })).status).toBe(200);
    await t.backend.waitFor(received + 1);
    let state = await upstreamOverApi();
    for (let tries = 0; (state.retrying === 0 || state.lastError?.status !== 503) && tries < 200; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      state = await upstreamOverApi();
    }
    expect(state).toMatchObject({ retrying: 1, queued: 1, lastError: { status: 503 } });
    expect(state.oldestQueued).not.toBeNull();

    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.locator('[data-stat="queued"]', { hasText: '1' }).waitFor();
    expect(await shown(page, 'retrying')).toBe('1');
    expect(await page.locator('[data-stat="oldestQueued"] time').getAttribute('datetime')).toBe(state.oldestQueued);
    expect(await shown(page, 'oldestQueued')).toMatch(/ago|now/);
    expect(await shown(page, 'lastError')).toContain(`HTTP 503: ${state.lastError!.reason}`);
    await page.locator('[data-section="upstream"]').screenshot({ path: join(t.shots, 'keys-upstream.png') });
    // Let it through and wait for it, so the numbers hold still for the next tests.
    t.backend.answer = () => ({ status: 200, body: '{}' });
    await queueDrained(t.h, 20_000);
  });

  it("shows the server's field error for a bad DSN and keeps the upstream", async () => {
    const section = page.locator('[data-section="upstream"]');
    const refused = await request(t.h, 'PUT', projectApi, { token: t.token, body: { upstreamDsn: 'not a dsn' } });
    expect(refused.status).toBe(400);
    const message = refused.body.upstreamDsn[0] as string;
    expect(message).toBeTruthy();
    await section.getByLabel('Upstream DSN').fill('not a dsn');
    await section.getByRole('button', { name: 'Save upstream' }).click();
    const error = section.getByRole('alert');
    await error.waitFor();
    expect(await error.textContent()).toBe(message);
    expect(await section.getByLabel('Upstream DSN').getAttribute('aria-invalid')).toBe('true');
    expect((await upstreamOverApi()).upstream?.host).toBe(`127.0.0.1:${t.backend.port}`);
  });

  it('shows a member the state but no controls to change it', async () => {
    const member = await t.pages.signedIn(MEMBER, keysPage);
    const section = member.locator('[data-section="upstream"]');
    await section.locator('[data-upstream="host"]').waitFor();
    expect(await section.locator('[data-upstream="host"]').textContent()).toBe(`127.0.0.1:${t.backend.port}`);
    const state = await upstreamOverApi();
    expect(await shown(member, 'delivered')).toBe(String(state.delivered));
    expect(await section.getByLabel('Upstream DSN').count()).toBe(0);
    expect(await section.getByRole('button', { name: 'Save upstream' }).count()).toBe(0);
    expect(await section.getByRole('button', { name: 'Clear upstream' }).count()).toBe(0);
    expect(await section.getByText('needs the project:admin permission').isVisible()).toBe(true);
  });

  it('lets the owner clear it', async () => {
    const section = page.locator('[data-section="upstream"]');
    await section.getByRole('button', { name: 'Clear upstream' }).click();
    await section.locator('[data-upstream="none"]').waitFor();
    expect((await request(t.h, 'GET', projectApi, { token: t.token })).body.upstream).toBeNull();
    expect(await section.getByRole('button', { name: 'Clear upstream' }).isVisible()).toBe(false);
  });
});

describe('the key policy form', () => {
  it('sets a quota, IP rules, an origin and requireOrigin, each checked through the API; a bad CIDR shows its field error', async () => {
    const key = await createKey({ name: 'Policy' });
    const page = await t.pages.signedIn(OWNER, keysPage);
    const policy = card(page, 'Policy');
    expect(await policy.locator('[data-meta="policy"]').textContent()).toBe('No policy');
    await policy.locator('summary', { hasText: 'Key policy' }).click();
    await policy.getByRole('button', { name: 'Add quota' }).click();
    const quota = policy.getByRole('group', { name: 'Quota 1' });
    await quota.getByLabel('Categories').fill('transaction, span');
    await quota.getByLabel('Count').fill('1000');
    await quota.getByLabel('Per', { exact: true }).selectOption({ label: '1 hour' });
    await policy.getByLabel('Allowed IP addresses and CIDRs').fill('10.0.0.0/8\n192.0.2.7\n');
    await policy.getByLabel('Denied IP addresses and CIDRs').fill('10.9.0.0/16');
    await policy.getByLabel('Allowed origins').fill('https://app.example.com');
    await policy.getByLabel('Require an Origin or Referer header').check();
    await policy.getByRole('button', { name: 'Save policy' }).click();
    await policy.locator('[data-meta="policy"]', { hasText: 'transaction, span: 1000 per 1 hour' }).waitFor();
    expect(await policy.locator('[data-meta="policy"]').textContent()).toBe(
      'transaction, span: 1000 per 1 hour; only from 10.0.0.0/8, 192.0.2.7; not from 10.9.0.0/16; origins https://app.example.com; Origin required',
    );
    expect(await keyOverApi(key.id)).toMatchObject({
      quotas: [{ categories: ['transaction', 'span'], count: 1000, window: 3600 }],
      allowedIps: ['10.0.0.0/8', '192.0.2.7'],
      deniedIps: ['10.9.0.0/16'],
      allowedOrigins: ['https://app.example.com'],
      requireOrigin: true,
      serverOnly: false,
    });

    // The card was redrawn with the saved values, the form still open.
    const denied = policy.getByLabel('Denied IP addresses and CIDRs');
    expect(await denied.inputValue()).toBe('10.9.0.0/16');
    const refused = await request(t.h, 'PUT', `${projectApi}keys/${key.id}/`, { token: t.token, body: { deniedIps: ['10.9.0.0/33'] } });
    expect(refused.status).toBe(400);
    await denied.fill('10.9.0.0/33');
    await policy.getByRole('button', { name: 'Save policy' }).click();
    // The message is beside the field it is about.
    const error = policy.locator('.field', { has: page.getByLabel('Denied IP addresses and CIDRs') }).getByRole('alert');
    await error.waitFor();
    expect(await error.textContent()).toBe('10.9.0.0/33 is not an IP address or CIDR.');
    expect(JSON.stringify(refused.body)).toContain('10.9.0.0/33 is not an IP address or CIDR.');
    expect((await keyOverApi(key.id)).deniedIps).toEqual(['10.9.0.0/16']);

    // A quota's error names its row.
    await denied.fill('');
    const badQuota = await request(t.h, 'PUT', `${projectApi}keys/${key.id}/`, { token: t.token, body: { quotas: [{ categories: ['bogus'], count: 1000, window: 3600 }] } });
    expect(badQuota.status).toBe(400);
    const texts = (v: unknown): string[] => (Array.isArray(v) ? v.flatMap(texts) : v && typeof v === 'object' ? Object.values(v).flatMap(texts) : [String(v)]);
    const quotaMessage = texts(badQuota.body.quotas).join(' ');
    expect(quotaMessage).toContain('"bogus" is not a valid choice.');
    await policy.getByRole('group', { name: 'Quota 1' }).getByLabel('Categories').fill('bogus');
    await policy.getByRole('button', { name: 'Save policy' }).click();
    const quotaError = policy.locator('fieldset.quotas').getByRole('alert');
    await quotaError.waitFor();
    expect(await quotaError.textContent()).toBe(`Quota 1: ${quotaMessage}`);
    expect(await error.isVisible()).toBe(false);
    await policy.screenshot({ path: join(t.shots, 'key-policy.png') });

    // Removing the quota row and saving clears the quotas.
    await policy.getByRole('group', { name: 'Quota 1' }).getByRole('button', { name: 'Remove' }).click();
    await policy.getByRole('button', { name: 'Save policy' }).click();
    await policy.locator('[data-meta="policy"]', { hasText: /^only from/ }).waitFor();
    expect(await keyOverApi(key.id)).toMatchObject({ quotas: [], deniedIps: [] });
  });

  it("a member sees the policy but the form's controls are disabled", async () => {
    const page = await t.pages.signedIn(MEMBER, keysPage);
    const policy = card(page, 'Policy');
    await policy.locator('summary', { hasText: 'Key policy' }).click();
    expect(await policy.getByLabel('Allowed IP addresses and CIDRs').isDisabled()).toBe(true);
    expect(await policy.getByRole('button', { name: 'Save policy' }).isDisabled()).toBe(true);
    expect(await policy.getByRole('button', { name: 'Add quota' }).isDisabled()).toBe(true);
  });
});

describe('key health', () => {
  it('says "disabled but still in use" for a disabled key that keeps receiving events, with its refusals by reason', async () => {
    const dead = await createKey({ name: 'Old mobile' });
    await request(t.h, 'PUT', `${projectApi}keys/${dead.id}/`, { token: t.token, body: { isActive: false } });
    for (let i = 0; i < 3; i++) expect((await send(t.h, envelopePath(t.web, dead.id), { body: eventEnvelope() })).status).toBeGreaterThanOrEqual(400);
    const fenced = await createKey({ name: 'Fenced', allowedIps: ['10.0.0.0/8'] });
    for (let i = 0; i < 2; i++) expect((await send(t.h, envelopePath(t.web, fenced.id), { body: eventEnvelope() })).status).toBe(403);
    const reporter = await createKey({ name: 'Reporter' });
    const report = JSON.stringify({ timestamp: Date.now() / 1000, discarded_events: [{ reason: 'queue_overflow', category: 'error', quantity: 4 }] });
    expect((await send(t.h, envelopePath(t.web, reporter.id), { body: `{}\n{"type":"client_report"}\n${report}\n` })).status).toBe(200);
    await t.h.services.ingest.flush();
    const health = (id: string) => request(t.h, 'GET', `${projectApi}keys/${id}/health/`, { token: t.token }).then((r) => r.body);
    const deadHealth = await health(dead.id);
    const fencedHealth = await health(fenced.id);
    const reporterHealth = await health(reporter.id);
    expect(deadHealth.refused.disabled).toBe(3);
    expect(fencedHealth.refused.ip).toBe(2);
    expect(reporterHealth.clientDiscarded).toEqual([{ reason: 'queue_overflow', category: 'error', quantity: 4 }]);

    const page = await t.pages.signedIn(OWNER, keysPage);
    const deadCard = card(page, 'Old mobile');
    await deadCard.getByText('disabled but still in use', { exact: true }).waitFor();
    const alert = deadCard.locator('[data-health="in-use"]');
    expect(await alert.textContent()).toContain('This key is disabled but still in use: 3 requests were refused in the last 24 hours, the last');
    expect(await alert.locator('time').getAttribute('datetime')).toBe(deadHealth.lastRefused);
    const disabledRow = deadCard.locator('.usage tr[data-reason="disabled"]');
    await disabledRow.waitFor();
    await deadCard.screenshot({ path: join(t.shots, 'key-health-in-use.png') });
    expect(await disabledRow.locator('td').allTextContents()).toEqual(['Key disabled', String(deadHealth.refused.disabled)]);

    const fencedCard = card(page, 'Fenced');
    const ipRow = fencedCard.locator('.usage tr[data-reason="ip"]');
    await ipRow.waitFor();
    expect(await ipRow.locator('td').allTextContents()).toEqual(['IP address not allowed', String(fencedHealth.refused.ip)]);
    expect(await fencedCard.locator('.usage tr[data-reason]').count()).toBe(Object.values(fencedHealth.refused as Record<string, number>).filter((n) => n > 0).length);
    // An enabled key refused for its IP rule is in use as it should be: no warning.
    expect(await fencedCard.getByText('disabled but still in use').count()).toBe(0);
    // What the SDK reported dropping itself, under the chart of the key it reported with.
    const dropped = card(page, 'Reporter').locator('.usage tr[data-discard="queue_overflow:error"]');
    await dropped.waitFor();
    expect(await dropped.locator('td').allTextContents()).toEqual(['queue_overflow', 'error', '4']);
    // A key nobody sent to says so, and warns of nothing.
    const quiet = card(page, 'Policy');
    await quiet.locator('[data-health="no-refusals"]').waitFor();
    expect(await quiet.getByText('disabled but still in use').count()).toBe(0);
  });

  it('says so for a rotated-out key too, and not for a disabled key nobody uses', async () => {
    const rotated = await createKey({ name: 'Rotated' });
    await request(t.h, 'POST', `${projectApi}keys/${rotated.id}/rotate/`, { token: t.token, body: { overlapSeconds: 0 } });
    expect((await send(t.h, envelopePath(t.web, rotated.id), { body: eventEnvelope() })).status).toBeGreaterThanOrEqual(400);
    const idle = await createKey({ name: 'Idle' });
    await request(t.h, 'PUT', `${projectApi}keys/${idle.id}/`, { token: t.token, body: { isActive: false } });
    await t.h.services.ingest.flush();
    const page = await t.pages.signedIn(OWNER, keysPage);
    const rotatedCard = page.locator(`[data-key="${rotated.id}"]`);
    await rotatedCard.getByText('disabled but still in use', { exact: true }).waitFor();
    expect(await rotatedCard.locator('[data-health="in-use"]').textContent()).toContain('This key is rotated out, so effectively disabled, but still in use');
    const idleCard = card(page, 'Idle');
    await idleCard.locator('[data-health="no-refusals"]').waitFor();
    expect(await idleCard.getByText('disabled but still in use').count()).toBe(0);
  });
});

describe('the assets', () => {
  it('serves every module in src/web/static (each is in the allow-list)', async () => {
    const names = readdirSync(join(import.meta.dirname, '..', 'src', 'web', 'static')).filter((name) => name.endsWith('.js'));
    expect(names).toContain('upstream.js');
    for (const name of names) {
      const res = await fetch(`${t.h.baseUrl}/_static/${name}`);
      expect(res.status, name).toBe(200);
      await res.arrayBuffer();
    }
  });
});
