/**
 * A fresh clientkeys per test file: a real SQLite file in a temporary directory, the real app
 * listening on loopback, and helpers to set up organizations, users and credentials through the
 * same services the CLI uses.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { buildApp } from '../../src/app.ts';
import { loggerOptions } from '../../src/logging.ts';
import { closeServices, createServices, type ServiceOptions } from '../../src/composition.ts';
import type { Config, DatabaseConfig, IngestConfig } from '../../src/config.ts';
import { parseScopeList, type OrgRole, type Scope, type TeamRole } from '../../src/domain/scopes.ts';
import type { Services } from '../../src/services/index.ts';
import type { Actor } from '../../src/services/principal.ts';
import { openDatabase, type Database } from '../../src/storage/database.ts';
import type { OrganizationRow, ProjectKeyRow, ProjectRow, TeamRow, UserRow } from '../../src/storage/schema.ts';
import { logStream, recordSecret } from './secrets.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

export const TEST_ACTOR: Actor = { userId: null, keyId: null, label: 'test', ipAddress: null };

export const ALL_SCOPES = 'org:read,org:write,org:admin,project:read,project:write,project:admin,team:read,team:write,team:admin,member:read,member:admin,event:read'
  .split(',') as Scope[];

export interface Harness {
  app: FastifyInstance;
  services: Services;
  /** The harness's database, for what a test checks or arranges below the services. */
  db: Database;
  config: Config;
  baseUrl: string;
  dir: string;
  /** The DATABASE_URL of this harness's database, for CLI processes. */
  databaseUrl: string;
  /** This harness's database, for a second instance on it (`startHarness(…, { shared })`). */
  database: TestDatabase;
  close(): Promise<void>;
}

export function testConfig(database: DatabaseConfig, overrides: Partial<Config> = {}): Config {
  return {
    database,
    port: 0,
    host: '127.0.0.1',
    publicUrl: 'http://testserver',
    // As loadConfig: INGEST_URL defaults to PUBLIC_URL.
    ingestUrl: overrides.publicUrl ?? 'http://testserver',
    ingestOrgSubdomains: false,
    apiRateLimit: 0,
    logLevel: 'silent',
    ingest: ingestConfig(),
    loader: { sdkUrl: null, cdnUrl: '' },
    // Every test signs in from 127.0.0.1: the per-address limit is the throttle test's own business.
    sessions: { secureCookies: false, maxAgeHours: 336, maxAttemptsPerEmail: 10, maxAttemptsPerIp: 10_000, throttleWindowSeconds: 900 },
    autoMigrate: false,
    // Loopback peers (the tests themselves) are believed when they name another client.
    trustedProxies: [],
    ...overrides,
  };
}

/** The ingest settings tests start from: memory counters, 1 MiB bodies, stats written every second. */
export function ingestConfig(overrides: Partial<IngestConfig> = {}): IngestConfig {
  return {
    maxBodyBytes: 1024 * 1024,
    rateLimiter: 'memory',
    redisUrl: undefined,
    forwardUrl: undefined,
    spoolMaxBytes: 64 * 1024 * 1024,
    // Loopback is where the tests' backends listen.
    upstreamHosts: '127.0.0.1',
    deliveryConcurrency: 8,
    tunnelPath: undefined,
    alertWebhookUrl: undefined,
    alertWebhookSecret: undefined,
    statsFlushSeconds: 1,
    ...overrides,
  };
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface HarnessOptions extends ServiceOptions {
  /** Another instance on this database (not dropped on close: its creator drops it). */
  shared?: TestDatabase;
  /**
   * PUBLIC_URL is the address the server listens on, for clients that follow the URLs it hands out
   * (Sentry's CLI sends every request to `links.regionUrl`).
   */
  reachablePublicUrl?: boolean;
  /** Listen on this port (for configuration that names it, e.g. INGEST_URL). */
  listenPort?: number;
}

/**
 * Services over a database the test reaches directly too (to migrate it, or to read what the
 * services wrote): the composition root gives the database to no caller of the services.
 */
export function servicesWithDatabase(config: Config, options: ServiceOptions = {}): { services: Services; db: Database } {
  const db = openDatabase(config.database);
  return { services: createServices(config, db, options), db };
}

/** A fresh app on a fresh database (or on `options.shared`), listening on loopback. */
export async function startHarness(overrides: Partial<Config> = {}, options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'clientkeys-test-'));
  const shared = options.shared;
  const database = shared ?? (await createTestDatabase(dir));
  const port = options.reachablePublicUrl ? await freePort() : (options.listenPort ?? 0);
  const config = testConfig(database.config, {
    ...overrides,
    ...(options.reachablePublicUrl ? { port, publicUrl: `http://127.0.0.1:${port}` } : {}),
  });
  const { services, db } = servicesWithDatabase(config, options);
  await db.migrate();
  await services.ingest.start();
  // A server answers while its key map loads; tests start from a loaded one so query counts hold still.
  await services.ingest.warmKeys();
  // Production's logger settings (redaction included), at the most verbose level, into the file the
  // end-of-run secrets check reads.
  const logger = { ...(loggerOptions({ ...config, logLevel: 'trace' }) as object), stream: logStream('harness') };
  const app = await buildApp({ config, services, logger });
  const baseUrl = await app.listen({ port, host: '127.0.0.1' });
  return {
    app,
    services,
    db,
    config,
    baseUrl,
    dir,
    databaseUrl: database.url,
    database,
    async close() {
      await app.close();
      await closeServices(services);
      if (!shared) await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A harness with organization "acme" in it, and the Seed that made it (for the rest of a test's fixtures). */
export async function startOrg(overrides: Partial<Config> = {}, options: HarnessOptions = {}): Promise<{ h: Harness; seed: Seed; org: OrganizationRow }> {
  const h = await startHarness(overrides, options);
  const seed = new Seed(h.services);
  return { h, seed, org: await seed.org('acme') };
}

/** A harness with the Acme fixture in it, and the Seed that made it (for what a test adds). */
export async function startAcme(overrides: Partial<Config> = {}, options: HarnessOptions = {}): Promise<Acme & { h: Harness; seed: Seed }> {
  const h = await startHarness(overrides, options);
  const seed = new Seed(h.services);
  return { h, seed, ...(await seed.acme()) };
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

export interface RequestOptions {
  token?: string;
  basic?: string;
  headers?: Record<string, string>;
  body?: unknown;
  rawBody?: string;
  /**
   * The route's success schema (from src/schemas/): the body is typed by it, and a 2xx answer must
   * conform to it or the request throws. Error answers are left as they came.
   */
  answer?: z.ZodType;
}

/** A real HTTP request to the harness on loopback, its answer typed and checked by the route's schema. */
export async function request<S extends z.ZodType>(
  h: Harness,
  method: string,
  path: string,
  options: RequestOptions & { answer: S },
): Promise<ApiResponse<z.output<S>>>;
/** A real HTTP request to the harness on loopback. */
export async function request<T = any>(h: Harness, method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
export async function request(h: Harness, method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<unknown>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.basic) headers.authorization = `Basic ${Buffer.from(`${options.basic}:`).toString('base64')}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${h.baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  for (const key of Array.isArray(parsed) ? parsed : [parsed]) {
    const secret = (key as { secret?: unknown } | undefined)?.secret;
    if (typeof secret === 'string') recordSecret(secret);
  }
  if (options.answer && response.ok) {
    const checked = options.answer.safeParse(parsed);
    if (!checked.success) throw new Error(`${method} ${path} answered ${response.status} outside its schema: ${checked.error.message}`);
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

function must<T>(result: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

/** The fixture most tests start from: organization "acme", its project "web" with its Default key, and an owner's token. */
export interface Acme {
  org: OrganizationRow;
  project: ProjectRow;
  /** The Default key of "web". */
  key: ProjectKeyRow;
  /** A token of owner@acme.example with every scope. */
  owner: string;
}

/** Builders for the fixtures tests need, through the real services. */
export class Seed {
  constructor(private readonly services: Services) {}

  /** Organization "acme" with project "web" (on `team` when given) and its Default key, and an owner's token. */
  async acme(options: { team?: TeamRow } = {}): Promise<Acme> {
    const org = await this.org('acme');
    const project = await this.project(org, 'web', options.team);
    const key = await this.defaultKey(project);
    const owner = await this.caller(org, 'owner@acme.example');
    return { org, project, key, owner };
  }

  org(slug: string, options: { openMembership?: boolean } = {}): Promise<OrganizationRow> {
    return this.services.organizations.createOrganization(slug, undefined, TEST_ACTOR).then(must).then(async (org) => {
      if (options.openMembership === false) {
        return this.services.organizations.setOpenMembership(org, false, TEST_ACTOR);
      }
      return org;
    });
  }

  team(org: OrganizationRow, slug: string): Promise<TeamRow> {
    return this.services.organizations.createTeam(org, slug, undefined, TEST_ACTOR).then(must);
  }

  async project(org: OrganizationRow, slug: string, team?: TeamRow): Promise<ProjectRow> {
    const result = await this.services.projects.create(org, { name: slug, slug, team }, TEST_ACTOR);
    if (!result.ok) throw new Error(result.reason);
    recordSecret(result.defaultKey!.secret_key);
    return result.project;
  }

  user(email: string, options: { superuser?: boolean; password?: string } = {}): Promise<UserRow> {
    if (options.password) recordSecret(options.password);
    return this.services.users.create(email, { superuser: options.superuser ?? false, password: options.password }).then(must);
  }

  async member(org: OrganizationRow, user: UserRow, role: OrgRole, team?: TeamRow, teamRole: TeamRole | null = null): Promise<void> {
    await this.services.organizations.addMember(org, user, role, team && { team, role: teamRole }, TEST_ACTOR);
  }

  async token(user: UserRow, scopes: Scope[] | string = ALL_SCOPES, options: { expiresAt?: string } = {}): Promise<string> {
    const list = typeof scopes === 'string' ? scopes : scopes.join(',');
    const parsed = parseScopeList(list);
    if (!parsed.ok) throw new Error(parsed.error);
    const { token } = await this.services.credentials.issueUserToken(user, parsed.scopes, options);
    recordSecret(token);
    return token;
  }

  /** A user with a role in the org and a token: the common caller of a test. */
  async caller(org: OrganizationRow, email: string, role: OrgRole = 'owner', scopes: Scope[] | string = ALL_SCOPES, team?: TeamRow): Promise<string> {
    const user = await this.user(email);
    await this.member(org, user, role, team);
    return this.token(user, scopes);
  }

  async apiKey(org: OrganizationRow, scopes: Scope[] = ['project:admin', 'org:read'], allowedOrigins?: string[]): Promise<string> {
    const { key } = await this.services.credentials.issueApiKey(org, scopes, { allowedOrigins }, TEST_ACTOR);
    recordSecret(key);
    return key;
  }

  async orgToken(org: OrganizationRow, scopes: Scope[] = ['org:ci']): Promise<string> {
    const { token } = await this.services.credentials.issueOrgToken(org, 'test', scopes, TEST_ACTOR);
    recordSecret(token);
    return token;
  }

  async defaultKey(project: ProjectRow) {
    const page = await this.services.keys.list({ projectIds: [project.id], userKeysOnly: false }, { cursor: undefined, limit: 100 });
    const key = page.results.find((k) => k.label === 'Default');
    if (!key) throw new Error('no Default key');
    return key;
  }
}
