/**
 * Browser pages for the web page's tests: a fresh context per page that records uncaught errors
 * and CSP violations in `problems` (each test file asserts there are none), and signing in.
 */
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { Harness } from './harness.ts';
import { recordSecret } from './secrets.ts';

export interface Person {
  email: string;
  password: string;
}

export class WebPages {
  /** Uncaught errors and CSP violations in any page: there must be none. */
  readonly problems: string[] = [];
  private readonly contexts: BrowserContext[] = [];

  constructor(
    private readonly browser: Browser,
    private readonly h: Harness,
  ) {}

  async newPage(viewport = { width: 1200, height: 900 }): Promise<Page> {
    const context = await this.browser.newContext({ baseURL: this.h.baseUrl, viewport });
    context.setDefaultTimeout(10_000);
    this.contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => this.problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) this.problems.push(`CSP: ${message.text()}`);
    });
    return page;
  }

  /** A page signed in as `who`, at `path` (the sign-in form sends it back there). */
  async signedIn(who: Person, path: string): Promise<Page> {
    const page = await this.newPage();
    await page.goto(path);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === path);
    // The session cookies are secrets: the end-of-run check makes sure no log holds them.
    for (const cookie of await page.context().cookies()) if (cookie.value.length >= 16) recordSecret(cookie.value);
    return page;
  }

  async close(): Promise<void> {
    for (const context of this.contexts) await context.close();
  }
}

/** The card of the key named `name`. */
export function card(page: Page, name: string): Locator {
  return page.locator('article.key-card', { has: page.getByRole('heading', { name, exact: true }) });
}
