/**
 * The client keys page in a real headless Chromium, against the real server and API: sign in,
 * read and copy the DSN, create, disable, enable, rename, limit, configure and delete a key (each
 * change checked through the API with a token), what a member sees, switching projects, keyboard
 * use, a narrow screen, CSRF from the page, signing out. Screenshots go to docs/screenshots/ when
 * UPDATE_SCREENSHOTS=1, else to the test's temporary directory.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProjectKeyJson } from '../src/schemas/project-key.ts';
import type { ProjectRow } from '../src/storage/schema.ts';
import { launchChromium } from './helpers/chromium.ts';
import { request, Seed, startHarness } from './helpers/harness.ts';
import { MEMBER, OWNER, startPageFixture } from './helpers/web-page.ts';
import { recordSecret } from './helpers/secrets.ts';
import { suiteFixture } from './helpers/fixture.ts';

const contexts: BrowserContext[] = [];
/** Uncaught errors and CSP violations in any page: there must be none. */
const problems: string[] = [];

const t = suiteFixture(async (onCleanup) => {
  const fixture = await startPageFixture(['web', 'api']);
  const { h, org, token } = fixture;
  onCleanup(() => h.close());
  const { web, api } = fixture.projects as { web: ProjectRow; api: ProjectRow };
  const browser = await launchChromium();
  onCleanup(() => browser.close());
  onCleanup(async () => {
    for (const context of contexts) await context.close();
  });
  const shots = process.env.UPDATE_SCREENSHOTS === '1' ? join(import.meta.dirname, '..', 'docs', 'screenshots') : join(h.dir, 'screenshots');
  mkdirSync(shots, { recursive: true });
  return { h, browser, org, web, api, token, shots };
});

afterEach(() => {
  expect(problems).toEqual([]);
});

const keysPage = (project: ProjectRow) => `/settings/${t.org.slug}/projects/${project.slug}/keys/`;

async function newPage(viewport = { width: 1200, height: 900 }): Promise<Page> {
  const context = await t.browser.newContext({ baseURL: t.h.baseUrl, viewport });
  context.setDefaultTimeout(10_000);
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
  });
  return page;
}

/** Fill in the sign-in form the page was sent to. */
async function fillSignIn(page: Page, who: { email: string; password: string }): Promise<void> {
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Record the browser's session cookies for the secrets check. */
async function recordCookies(page: Page): Promise<void> {
  for (const cookie of await page.context().cookies()) if (cookie.value.length >= 16) recordSecret(cookie.value);
}

async function signedIn(who: { email: string; password: string }, path: string, viewport?: { width: number; height: number }): Promise<Page> {
  const page = await newPage(viewport);
  await page.goto(path);
  await fillSignIn(page, who);
  await page.waitForURL((url) => url.pathname === path);
  await recordCookies(page);
  return page;
}

/** The card of the key named `name`. */
function card(page: Page, name: string): Locator {
  return page.locator('article.key-card', { has: page.getByRole('heading', { name, exact: true }) });
}

async function keysOverApi(project: ProjectRow): Promise<ProjectKeyJson[]> {
  const res = await request<ProjectKeyJson[]>(t.h, 'GET', `/api/0/projects/${t.org.slug}/${project.slug}/keys/?per_page=100`, { token: t.token });
  expect(res.status).toBe(200);
  return res.body;
}

describe('the client keys page', () => {
  let page: Page;

  it('sends an anonymous visitor to sign in, refuses a wrong password, and returns after sign-in', async () => {
    page = await newPage();
    await page.goto(keysPage(t.web));
    expect(new URL(page.url()).pathname).toBe('/auth/login/');
    expect(new URL(page.url()).searchParams.get('next')).toBe(keysPage(t.web));
    await expect(page.getByLabel('Email').isVisible()).resolves.toBe(true);
    await page.screenshot({ path: join(t.shots, 'sign-in.png') });

    await fillSignIn(page, { email: OWNER.email, password: 'not the right password' });
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('Please enter a correct email and password.');
    expect(new URL(page.url()).pathname).toBe('/auth/login/');
    expect((await page.context().cookies()).map((c) => c.name)).not.toContain('clientkeys_session');
    // The form kept where to go next.
    await fillSignIn(page, OWNER);
    await page.waitForURL((url) => url.pathname === keysPage(t.web));
    await recordCookies(page);
    const session = (await page.context().cookies()).find((c) => c.name === 'clientkeys_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
  });

  it("shows the Default key's DSN, copies it, and shows the other DSN URLs on demand", async () => {
    const [defaultKey] = (await keysOverApi(t.web)).filter((k) => k.name === 'Default');
    const key = card(page, 'Default');
    await key.waitFor();
    await expect(key.getByLabel('DSN', { exact: true }).inputValue()).resolves.toBe(defaultKey!.dsn.public);
    expect(await key.getByText('Enabled', { exact: true }).isVisible()).toBe(true);
    expect(await key.locator('time').getAttribute('datetime')).toBe(defaultKey!.dateCreated);
    expect(await key.getByText('No limit', { exact: true }).isVisible()).toBe(true);
    expect(await key.getByText('SDK 10.x with Performance monitoring (tracing), Session Replay').isVisible()).toBe(true);
    // The usage chart's place tells how to send a first event (the stats endpoint has nothing yet).
    await key.getByText('Send a first event with this key').waitFor();
    expect(await key.locator('.usage').textContent()).toContain(`Sentry.init({ dsn: "${defaultKey!.dsn.public}" });`);
    await page.screenshot({ path: join(t.shots, 'keys-list.png'), fullPage: true });

    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.h.baseUrl });
    await key.getByRole('button', { name: 'Copy DSN', exact: true }).click();
    await expect(page.evaluate(() => (globalThis as any).navigator.clipboard.readText())).resolves.toBe(defaultKey!.dsn.public);

    const csp = key.getByLabel('CSP report endpoint', { exact: true });
    expect(await csp.isVisible()).toBe(false);
    await key.getByText('Other DSN URLs').click();
    await expect(csp.inputValue()).resolves.toBe(defaultKey!.dsn.csp);
    await expect(key.getByLabel('Minidump endpoint', { exact: true }).inputValue()).resolves.toBe(defaultKey!.dsn.minidump);
    await expect(key.getByLabel('Security header endpoint (CSP, Expect-CT, HPKP)', { exact: true }).inputValue()).resolves.toBe(defaultKey!.dsn.security);
  });

  it('creates a key in a dialog, then disables, enables, renames, limits, configures and deletes it, each checked through the API', async () => {
    await page.getByRole('button', { name: 'New Key' }).click();
    const dialog = page.getByRole('dialog', { name: 'New Key' });
    await dialog.waitFor();
    await dialog.getByLabel('Name').fill('Checkout service');
    await page.screenshot({ path: join(t.shots, 'create-key-dialog.png') });
    await dialog.getByRole('button', { name: 'Create Key' }).click();
    const key = card(page, 'Checkout service');
    await key.waitFor();
    expect(await dialog.isVisible()).toBe(false);
    let created = (await keysOverApi(t.web)).find((k) => k.name === 'Checkout service');
    expect(created).toMatchObject({ isActive: true, rateLimit: null });
    await expect(key.getByLabel('DSN', { exact: true }).inputValue()).resolves.toBe(created!.dsn.public);

    await key.getByRole('button', { name: 'Disable', exact: true }).click();
    await key.getByRole('button', { name: 'Enable', exact: true }).waitFor();
    expect(await key.getByText('Disabled', { exact: true }).isVisible()).toBe(true);
    expect((await keysOverApi(t.web)).find((k) => k.id === created!.id)?.isActive).toBe(false);
    await page.screenshot({ path: join(t.shots, 'keys-list-disabled-key.png'), fullPage: true });

    await key.getByRole('button', { name: 'Enable', exact: true }).click();
    await key.getByRole('button', { name: 'Disable', exact: true }).waitFor();
    expect((await keysOverApi(t.web)).find((k) => k.id === created!.id)?.isActive).toBe(true);

    await key.getByRole('button', { name: 'Rename' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename key' });
    await rename.getByLabel('Name').fill('Checkout');
    await rename.getByRole('button', { name: 'Save name' }).click();
    const renamed = card(page, 'Checkout');
    await renamed.waitFor();
    expect((await keysOverApi(t.web)).find((k) => k.id === created!.id)?.name).toBe('Checkout');

    await renamed.locator('summary', { hasText: 'Rate limit' }).click();
    await renamed.getByLabel('Maximum events').fill('100');
    await renamed.getByLabel('Per', { exact: true }).selectOption({ label: '1 hour' });
    await renamed.getByRole('button', { name: 'Save rate limit' }).click();
    await renamed.getByText('100 events per 1 hour').waitFor();
    expect((await keysOverApi(t.web)).find((k) => k.id === created!.id)?.rateLimit).toEqual({ window: 3600, count: 100 });

    await renamed.locator('summary', { hasText: 'Loader script' }).click();
    await renamed.getByLabel('SDK version').selectOption('9.x');
    await renamed.getByLabel('Debug bundles and logging').check();
    await renamed.getByLabel('Session Replay').uncheck();
    await renamed.getByRole('button', { name: 'Save loader options' }).click();
    await renamed.getByText('SDK 9.x with Performance monitoring (tracing), Debug bundles and logging').waitFor();
    created = (await keysOverApi(t.web)).find((k) => k.id === created!.id);
    expect(created?.browserSdkVersion).toBe('9.x');
    expect(created?.dynamicSdkLoaderOptions).toMatchObject({ hasDebug: true, hasReplay: false, hasPerformance: true });

    await renamed.getByRole('button', { name: 'Delete', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete key “Checkout”?' });
    await confirm.waitFor();
    // Cancelling deletes nothing.
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect((await keysOverApi(t.web)).some((k) => k.id === created!.id)).toBe(true);
    await renamed.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('dialog', { name: 'Delete key “Checkout”?' }).getByRole('button', { name: 'Delete key' }).click();
    await renamed.waitFor({ state: 'detached' });
    const gone = await request(t.h, 'GET', `/api/0/projects/${t.org.slug}/${t.web.slug}/keys/${created!.id}/`, { token: t.token });
    expect(gone.status).toBe(404);
  });

  it('rotates a key: the successor appears, the old key says when it stops, both checked through the API', async () => {
    const page = await signedIn(OWNER, keysPage(t.web));
    await page.getByRole('button', { name: 'New Key' }).click();
    const create = page.getByRole('dialog', { name: 'New Key' });
    await create.getByLabel('Name').fill('Mobile');
    await create.getByRole('button', { name: 'Create Key' }).click();
    const old = card(page, 'Mobile');
    await old.waitFor();
    const oldId = (await keysOverApi(t.web)).find((k) => k.name === 'Mobile')!.id;

    await old.getByRole('button', { name: 'Rotate' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate key “Mobile”' });
    await dialog.waitFor();
    expect(await dialog.getByLabel('Old key keeps working for').inputValue()).toBe('86400');
    await dialog.getByLabel('Old key keeps working for').selectOption({ label: '7 days' });
    await page.screenshot({ path: join(t.shots, 'rotate-key-dialog.png') });
    await dialog.getByRole('button', { name: 'Rotate key' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const keys = await keysOverApi(t.web);
    const successor = keys.find((k) => k.replaces === oldId)!;
    const previous = keys.find((k) => k.id === oldId)!;
    expect(successor.name).toMatch(/^Mobile \(rotated \d{4}-\d\d-\d\d\)$/);
    expect(previous.replacedBy).toBe(successor.id);
    expect(Date.parse(previous.dateExpires!) - Date.now()).toBeGreaterThan(7 * 86_400_000 - 120_000);
    const newCard = page.locator(`[data-key="${successor.id}"]`);
    await newCard.waitFor();
    expect(await newCard.locator('[data-rotation="replaces"]').textContent()).toBe('Replaces “Mobile”.');
    const oldCard = page.locator(`[data-key="${oldId}"]`);
    expect(await oldCard.locator('[data-rotation="replaced"]').textContent()).toMatch(new RegExp(`^Being replaced by “${successor.name.replace(/[()]/g, '\\$&')}”: it stops working at `));
    expect(await oldCard.getByRole('button', { name: 'Rotate' }).isDisabled()).toBe(true);
    await page.screenshot({ path: join(t.shots, 'keys-list-rotation.png'), fullPage: true });
  });

  it('works from the keyboard: New Key opens a dialog focused on its name, Enter creates, Escape closes', async () => {
    const newKey = page.getByRole('button', { name: 'New Key' });
    await newKey.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'New Key' });
    await dialog.waitFor();
    expect(await dialog.getByLabel('Name').evaluate((el) => el === (globalThis as any).document.activeElement)).toBe(true);
    await page.keyboard.type('Typed key');
    await page.keyboard.press('Enter');
    await card(page, 'Typed key').waitFor();
    expect((await keysOverApi(t.web)).some((k) => k.name === 'Typed key')).toBe(true);

    await newKey.focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await newKey.evaluate((el) => el === (globalThis as any).document.activeElement)).toBe(true);
  });

  it('labels every control', async () => {
    await page.locator('summary', { hasText: 'Other DSN URLs' }).first().click();
    const unlabelled = await page.evaluate(() => {
      const missing: string[] = [];
      for (const el of (globalThis as any).document.querySelectorAll('input:not([type=hidden]), select, textarea, button, summary, a')) {
        const labelled =
          el.labels?.length ||
          el.getAttribute('aria-label') ||
          el.getAttribute('aria-labelledby') ||
          ((el.tagName === 'BUTTON' || el.tagName === 'SUMMARY' || el.tagName === 'A') && el.textContent?.trim());
        if (!labelled) missing.push(el.outerHTML.slice(0, 120));
      }
      return missing;
    });
    expect(unlabelled).toEqual([]);
    expect(await page.locator('input:not([type=hidden]), select').count()).toBeGreaterThan(10);
  });

  it('refuses a state-changing request from the page without the CSRF token; the session cookie is out of scripts\' reach', async () => {
    const path = `/api/0/projects/${t.org.slug}/${t.web.slug}/keys/`;
    const result = await page.evaluate(async (url) => {
      const post = (headers: Record<string, string>) =>
        fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json', ...headers }, body: '{"name":"csrf probe"}' }).then(
          async (r) => ({ status: r.status, body: await r.json() }),
        );
      const cookies: string = (globalThis as any).document.cookie;
      const token = /(?:^|; )clientkeys_csrf=([^;]+)/.exec(cookies)?.[1] ?? '';
      return { without: await post({}), withToken: await post({ 'X-CSRFToken': token }), cookies };
    }, path);
    expect(result.without).toEqual({ status: 403, body: { detail: 'CSRF Failed: CSRF token missing.' } });
    expect(result.withToken.status).toBe(201);
    expect(result.cookies).not.toContain('clientkeys_session');
    const probes = (await keysOverApi(t.web)).filter((k) => k.name === 'csrf probe');
    expect(probes).toHaveLength(1);
    await request(t.h, 'DELETE', `${path}${probes[0]!.id}/`, { token: t.token });
  });

  it('switches to another project of the organization from the project list', async () => {
    const nav = page.getByRole('navigation', { name: 'Projects' });
    expect(await nav.getByRole('link', { name: 'web' }).getAttribute('aria-current')).toBe('page');
    await nav.getByRole('link', { name: 'api' }).click();
    await page.waitForURL((url) => url.pathname === keysPage(t.api));
    const [apiDefault] = (await keysOverApi(t.api)).filter((k) => k.name === 'Default');
    await expect(card(page, 'Default').getByLabel('DSN', { exact: true }).inputValue()).resolves.toBe(apiDefault!.dsn.public);
    expect(await page.getByRole('navigation', { name: 'Projects' }).getByRole('link', { name: 'api' }).getAttribute('aria-current')).toBe('page');
  });

  it('signs out: the session ends and the page asks to sign in again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/auth/login/');
    await page.goto(keysPage(t.web));
    expect(new URL(page.url()).pathname).toBe('/auth/login/');
  });
});

describe('what a member sees', () => {
  it('the keys, with the buttons that would change them disabled and saying why', async () => {
    const page = await signedIn(MEMBER, keysPage(t.web));
    const key = card(page, 'Default');
    await key.waitFor();
    const [defaultKey] = (await keysOverApi(t.web)).filter((k) => k.name === 'Default');
    await expect(key.getByLabel('DSN', { exact: true }).inputValue()).resolves.toBe(defaultKey!.dsn.public);

    const newKey = page.getByRole('button', { name: 'New Key' });
    expect(await newKey.isDisabled()).toBe(true);
    const why = await newKey.evaluate((el) => (globalThis as any).document.getElementById(el.getAttribute('aria-describedby') ?? '')?.textContent ?? '');
    expect(why).toContain('Your role lets you see these keys but not change them');
    expect(await page.getByText('Your role lets you see these keys but not change them').isVisible()).toBe(true);
    for (const name of ['Disable', 'Rename', 'Rotate', 'Delete']) {
      const button = key.getByRole('button', { name, exact: true });
      expect(await button.isDisabled(), name).toBe(true);
      expect(await button.getAttribute('aria-describedby'), name).toBeTruthy();
    }
    await key.locator('summary', { hasText: 'Rate limit' }).click();
    expect(await key.getByLabel('Maximum events').isDisabled()).toBe(true);
    expect(await key.getByRole('button', { name: 'Save rate limit' }).isDisabled()).toBe(true);
    await page.screenshot({ path: join(t.shots, 'keys-list-member.png'), fullPage: true });

    // The API agrees: the same request from this page is refused.
    const status = await page.evaluate(async (url) => {
      const token = /(?:^|; )clientkeys_csrf=([^;]+)/.exec((globalThis as any).document.cookie)?.[1] ?? '';
      const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRFToken': token }, body: '{}' });
      return r.status;
    }, `/api/0/projects/${t.org.slug}/${t.web.slug}/keys/`);
    expect(status).toBe(403);
  });
});

describe('on a narrow screen', () => {
  it('fits the width without scrolling sideways', async () => {
    const page = await signedIn(OWNER, keysPage(t.web), { width: 375, height: 812 });
    await card(page, 'Default').waitFor();
    const widths = await page.evaluate(() => {
      const root = (globalThis as any).document.documentElement;
      return { scroll: root.scrollWidth as number, client: root.clientWidth as number };
    });
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    expect(await card(page, 'Default').getByRole('button', { name: 'Copy DSN', exact: true }).isVisible()).toBe(true);
    await page.screenshot({ path: join(t.shots, 'keys-list-narrow.png'), fullPage: true });
  });
});

describe('the usage chart', () => {
  it('shows the events a key really received: accepted, and dropped by its rate limit', async () => {
    const created = await request(t.h, 'POST', `/api/0/projects/${t.org.slug}/${t.api.slug}/keys/`, {
      token: t.token,
      body: { name: 'Charted', rateLimit: { count: 3, window: 3600 } },
    });
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${t.h.baseUrl}/api/${t.api.id}/store/?sentry_key=${created.body.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: `event ${i}` }),
      });
      await res.arrayBuffer();
    }
    await t.h.services.ingest.flush();
    const page = await signedIn(OWNER, keysPage(t.api));
    const chart = card(page, 'Charted').locator('figure.usage-chart');
    await chart.waitFor();
    expect(await chart.locator('svg').getAttribute('aria-label')).toBe('Events for key Charted in the last 24 hours: 3 accepted, 2 dropped');
    expect(await chart.locator('figcaption').textContent()).toBe('3 accepted2 dropped');
    await page.screenshot({ path: join(t.shots, 'keys-list-usage.png'), fullPage: true });
  });

  it("draws points of the key stats endpoint's shape: accepted and dropped per hour", async () => {
    const page = await newPage();
    await page.goto('/auth/login/');
    // A string, so that vitest's transform leaves the browser's dynamic import alone.
    const drawn = await page.evaluate(`(async () => {
      const { usageChart } = await import('/_static/chart.js');
      const start = Math.floor(Date.now() / 3600000) * 3600 - 23 * 3600;
      const points = Array.from({ length: 24 }, (_, i) => ({ ts: start + i * 3600, total: i * 3, accepted: i * 2, dropped: i, filtered: 0 }));
      const figure = usageChart(points, 'Events');
      document.body.append(figure);
      const svg = figure.querySelector('svg');
      const heights = [...figure.querySelectorAll('rect.bar-accepted')].map((r) => Number(r.getAttribute('height')));
      return {
        label: svg.getAttribute('aria-label'),
        role: svg.getAttribute('role'),
        accepted: heights.length,
        dropped: figure.querySelectorAll('rect.bar-dropped').length,
        growing: heights.every((value, i) => i === 0 || value >= heights[i - 1]),
        legend: figure.querySelector('figcaption').textContent,
      };
    })()`);
    expect(drawn).toEqual({
      label: 'Events: 552 accepted, 276 dropped',
      role: 'img',
      accepted: 24,
      dropped: 24,
      growing: true,
      legend: '552 accepted276 dropped',
    });
  });
});

describe('sign-in throttle in the browser', () => {
  const throttled = suiteFixture(async (onCleanup) => {
    const throttled = await startHarness({
      sessions: { secureCookies: false, maxAgeHours: 336, maxAttemptsPerEmail: 3, maxAttemptsPerIp: 100, throttleWindowSeconds: 900 },
    });
    onCleanup(() => throttled.close());
    await new Seed(throttled.services).user(OWNER.email, { password: OWNER.password });
    return throttled;
  });

  it('refuses the fourth attempt after three wrong passwords, even with the right one', async () => {
    const page = await newPage();
    await page.goto(`${throttled.baseUrl}/settings/`);
    /** Submit the form and wait for the page it answers with. */
    const submit = async (who: { email: string; password: string }) => {
      const answer = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/auth/login/');
      await fillSignIn(page, who);
      const status = (await answer).status();
      await page.waitForLoadState();
      return status;
    };
    for (let i = 1; i <= 3; i += 1) {
      expect(await submit({ email: OWNER.email, password: `wrong password ${i}` })).toBe(400);
      expect(await page.getByRole('alert').textContent()).toContain('Please enter a correct email and password.');
    }
    expect(await submit(OWNER)).toBe(429);
    expect(await page.getByRole('alert').textContent()).toContain('You have made too many failed authentication attempts. Please try again later.');
    expect(new URL(page.url()).pathname).toBe('/auth/login/');
    expect((await page.context().cookies()).map((c) => c.name)).not.toContain('clientkeys_session');
  });
});
