/**
 * Browser pages for the web page's tests: a fresh context per page that records uncaught errors
 * and CSP violations in `problems` (each test file asserts there are none), and signing in.
 */
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { OrganizationRow, ProjectRow, TeamRow } from '../../src/storage/schema.ts';
import { Seed, startHarness, type Harness } from './harness.ts';
import { recordSecret } from './secrets.ts';

export interface Person {
  email: string;
  password: string;
}

/** Who signs in to the pages: an owner and a member of acme's backend team, with passwords. */
export const OWNER: Person = { email: 'ann@acme.example', password: 'ann has a long password' };
export const MEMBER: Person = { email: 'mo@acme.example', password: 'mo has a long password too' };

export interface PageFixture {
  h: Harness;
  seed: Seed;
  org: OrganizationRow;
  team: TeamRow;
  /** The projects asked for, by slug, on the backend team. */
  projects: Record<string, ProjectRow>;
  /** The owner's API token, to check through the API what the page did. */
  token: string;
}

/**
 * A harness whose PUBLIC_URL is its own address (the page calls the API there), with acme, its
 * backend team and these projects on it, OWNER and MEMBER signed up.
 */
export async function startPageFixture(projectSlugs: string[]): Promise<PageFixture> {
  const h = await startHarness({}, { reachablePublicUrl: true });
  const seed = new Seed(h.services);
  const org = await seed.org('acme');
  const team = await seed.team(org, 'backend');
  const projects: Record<string, ProjectRow> = {};
  for (const slug of projectSlugs) projects[slug] = await seed.project(org, slug, team);
  const owner = await seed.user(OWNER.email, { password: OWNER.password });
  await seed.member(org, owner, 'owner', team);
  const member = await seed.user(MEMBER.email, { password: MEMBER.password });
  await seed.member(org, member, 'member', team);
  return { h, seed, org, team, projects, token: await seed.token(owner) };
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
