/**
 * What every CLI command shares: the configuration from the environment, the services over the
 * database it names (schema created when the database is empty, refused when it is outdated),
 * one-line errors and how secrets are printed.
 */
import { existsSync } from 'node:fs';
import { closeServices, createServices } from '../composition.ts';
import { loadConfig, type Config } from '../config.ts';
import { ensureSchema } from '../schema-check.ts';
import type { Services } from '../services/index.ts';
import type { Actor } from '../services/principal.ts';
import type { OrganizationRow, ProjectRow, TeamRow, UserRow } from '../storage/schema.ts';

/** A failure the operator caused: printed as one line, exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
}

export interface CliContext {
  config: Config;
  services: Services;
  actor: Actor;
}

export const CLI_ACTOR: Actor = { userId: null, keyId: null, label: 'clientkeys cli', ipAddress: null };

/**
 * Run a command over the services. Unless `schema` is "any" (migrate, backup and restore look at
 * the schema themselves), an empty database gets the schema and an outdated or newer one stops
 * the command with a message naming what to run.
 */
export async function withServices<T>(
  work: (ctx: CliContext) => Promise<T>,
  options: { schema?: 'usable' | 'any'; mustExist?: boolean } = {},
): Promise<T> {
  const config = loadConfig();
  if (options.mustExist && config.database.kind === 'sqlite' && config.database.path !== ':memory:' && !existsSync(config.database.path)) {
    throw new CliError(`no database at ${config.database.path} (check DATABASE_URL)`);
  }
  const services = createServices(config);
  try {
    if (options.schema !== 'any') await services.operations.ensureSchema({ migrate: false });
    return await work({ config, services, actor: CLI_ACTOR });
  } finally {
    await closeServices(services);
  }
}

/** "1 key", "2 keys". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A secret goes alone on the last line of stdout, so `… | tail -n1` captures it. */
export function printSecret(secret: string): void {
  process.stdout.write(`${secret}\n`);
}

export async function requireOrg(services: Services, ref: string): Promise<OrganizationRow> {
  const org = await services.directory.organization(ref);
  if (!org) throw new CliError(`organization "${ref}" not found`);
  return org;
}

export async function requireTeam(services: Services, org: OrganizationRow, ref: string): Promise<TeamRow> {
  const team = await services.directory.team(org, ref);
  if (!team) throw new CliError(`team "${org.slug}/${ref}" not found`);
  return team;
}

export async function requireUser(services: Services, email: string): Promise<UserRow> {
  const user = await services.directory.userByEmail(email);
  if (!user) throw new CliError(`user "${email}" not found`);
  return user;
}

/** "<org>/<slug>" → both parts, or a clear error. */
export function splitPath(value: string, what: string): [string, string] {
  const match = /^([^/]+)\/([^/]+)$/.exec(value);
  if (!match) throw new CliError(`expected <org>/<${what}>, got "${value}"`);
  return [match[1] as string, match[2] as string];
}

export async function requireProject(services: Services, path: string): Promise<{ org: OrganizationRow; project: ProjectRow }> {
  const [orgRef, projectRef] = splitPath(path, 'project');
  const org = await requireOrg(services, orgRef);
  const project = await services.directory.project(org, projectRef);
  if (!project) throw new CliError(`project "${org.slug}/${projectRef}" not found`);
  return { org, project };
}
