/**
 * Sentry's own CLI (npm package `sentry`, pinned in devDependencies), run as a process against
 * clientkeys on loopback with the environment Sentry documents (SENTRY_URL, SENTRY_AUTH_TOKEN) and
 * an empty HOME. It resolves the organization's region first and sends everything after that to
 * `links.regionUrl`, so PUBLIC_URL here is the address the server really listens on.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { request, startOrg } from './helpers/harness.ts';
import { suiteFixture } from './helpers/fixture.ts';

const SENTRY_CLI = resolve(import.meta.dirname, '../node_modules/sentry/dist/bin.cjs');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Asynchronous on purpose: the server answering it runs in this process. */
function sentry(args: string[], authToken = t.token): Promise<Run> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: mkdtempSync(join(tmpdir(), 'sentry-cli-home-')),
    SENTRY_URL: t.h.baseUrl,
    SENTRY_AUTH_TOKEN: authToken,
    SENTRY_FORCE_ENV_TOKEN: '1',
    SENTRY_CLI_NO_TELEMETRY: '1',
  };
  return new Promise((done) => {
    execFile(process.execPath, [SENTRY_CLI, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

async function json(args: string[]): Promise<any> {
  const run = await sentry(args);
  expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
  return JSON.parse(run.stdout);
}

async function defaultDsn(project: string): Promise<string> {
  const keys = await request(t.h, 'GET', `/api/0/projects/acme/${project}/keys/`, { token: t.token });
  expect(keys.status).toBe(200);
  return keys.body[0].dsn.public;
}

const t = suiteFixture(async (onCleanup) => {
  const { h, seed, org } = await startOrg({}, { reachablePublicUrl: true });
  onCleanup(() => h.close());
  const team = await seed.team(org, 'backend');
  await seed.project(org, 'web', team);
  const token = await seed.caller(org, 'owner@acme.example', 'owner', undefined, team);
  const narrowToken = await seed.caller(org, 'narrow@acme.example', 'owner', 'event:read');
  const other = await seed.org('globex');
  await seed.project(other, 'secret-project');
  return { h, token, narrowToken };
});

describe('sentry CLI 0.49.0 against clientkeys', () => {
  it('org list --json: the organizations, with clientkeys as their region', async () => {
    const orgs = await json(['org', 'list', '--json']);
    expect(orgs.map((o: { slug: string }) => o.slug)).toEqual(['acme']);
    expect(orgs[0].links.regionUrl).toBe(t.h.baseUrl);
  });

  it('project list acme/ --json', async () => {
    const list = await json(['project', 'list', 'acme/', '--json']);
    expect(list.data.map((p: { slug: string }) => p.slug)).toEqual(['web']);
    expect(list.hasMore).toBe(false);
  });

  it('project view acme/web --json: the project and the DSN of its Default key', async () => {
    const [project] = await json(['project', 'view', 'acme/web', '--json']);
    expect(project).toMatchObject({ slug: 'web', organization: { slug: 'acme' } });
    expect(project.dsn).toBe(await defaultDsn('web'));
  });

  it('dsn list acme/web --json', async () => {
    const list = await json(['dsn', 'list', 'acme/web', '--json']);
    expect(list.data).toEqual([expect.objectContaining({ name: 'Default', isActive: true, dsn: await defaultDsn('web'), org: 'acme', project: 'web' })]);
  });

  it('project create acme/new-app:node --team backend --json: the project and its Default DSN', async () => {
    const created = await json(['project', 'create', 'acme/new-app:node', '--team', 'backend', '--json']);
    expect(created).toMatchObject({ orgSlug: 'acme', teamSlug: 'backend', project: { slug: 'new-app', platform: 'node' } });
    expect(created.dsn).toBe(await defaultDsn('new-app'));
  });

  it('project create without --team picks the team from the list, and a taken name gets a new slug', async () => {
    const created = await json(['project', 'create', 'acme/new-app:node', '--json']);
    expect(created.teamSlug).toBe('backend');
    expect(created.project.slug).toMatch(/^new-app-[a-z0-9]+$/);
    expect(created.dsn).toBe(await defaultDsn(created.project.slug));
  });

  it('a token without the scope: the CLI fails and says why', async () => {
    const run = await sentry(['project', 'view', 'acme/web', '--json'], t.narrowToken);
    expect(run.code).not.toBe(0);
    expect(run.stdout + run.stderr).toMatch(/403|permission/i);
  });

  it("another organization's project: refused", async () => {
    const run = await sentry(['project', 'view', 'globex/secret-project', '--json']);
    expect(run.code).not.toBe(0);
    expect(run.stdout).not.toContain('secret-project');
  });
});
