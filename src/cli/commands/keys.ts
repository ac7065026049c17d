/** project create and keys list|show|create|update|delete (export|import in key-transfer.ts): the same services and JSON as the API. */
import type { Command } from 'commander';
import {
  BROWSER_SDK_VERSION_CHOICES,
  LOADER_OPTION_NAMES,
  MAX_LABEL_LENGTH,
  MAX_OVERLAP_SECONDS,
  MAX_RATE_LIMIT_WINDOW,
  type LoaderOptions,
} from '../../domain/keys.ts';
import { isValidPlatform } from '../../domain/platforms.ts';
import { START_CURSOR, type Cursor } from '../../domain/paginator.ts';
import { SLUG_ERROR } from '../../domain/slugs.ts';
import type { ProjectKeyJson } from '../../schemas/project-key.ts';
import type { RateLimitInput, UpdateKeyInput } from '../../services/project-keys.ts';
import type { ProjectKeyRow } from '../../storage/schema.ts';
import { registerKeyTransferCommands } from './key-transfer.ts';
import { registerKeyCheckCommand } from './key-check.ts';
import { registerKeyPolicyCommand } from './key-policy.ts';
import { registerUpstreamCommand } from './upstream.ts';
import { CliError, print, printJson, requireOrg, requireProject, requireTeam, splitPath, withServices, type CliContext } from '../context.ts';

function rateLimitOption(value: string): RateLimitInput {
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  if (!match) throw new CliError(`--rate-limit must be COUNT/WINDOW_SECONDS, e.g. 1000/60 (got "${value}")`);
  const count = Number(match[1]);
  const window = Number(match[2]);
  if (window > MAX_RATE_LIMIT_WINDOW) throw new CliError(`--rate-limit window must be at most ${MAX_RATE_LIMIT_WINDOW} seconds`);
  if (count > 2147483647) throw new CliError('--rate-limit count is too large');
  return { count, window };
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "0", "90", "90s", "30m", "12h", "1d" → seconds, within a rotation's overlap bounds. */
export function durationOption(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (!match) throw new CliError(`--overlap must be a number of seconds or a duration like 30m, 12h, 1d (got "${value}")`);
  const seconds = Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1);
  if (seconds > MAX_OVERLAP_SECONDS) throw new CliError(`--overlap must be at most 30d (got "${value}")`);
  return seconds;
}

function nameOption(value: string | undefined): string | undefined {
  if (value !== undefined && [...value.trim()].length > MAX_LABEL_LENGTH) {
    throw new CliError(`--name must have at most ${MAX_LABEL_LENGTH} characters`);
  }
  return value?.trim();
}

function loaderOptions(values: string[] | undefined): LoaderOptions | undefined {
  if (!values?.length) return undefined;
  const options: LoaderOptions = {};
  for (const value of values) {
    const match = /^(\w+)=(true|false)$/.exec(value);
    const name = match?.[1] as (typeof LOADER_OPTION_NAMES)[number] | undefined;
    if (!match || !name || !LOADER_OPTION_NAMES.includes(name)) {
      throw new CliError(`--loader-option must be NAME=true|false with NAME one of ${LOADER_OPTION_NAMES.join(', ')} (got "${value}")`);
    }
    options[name] = match[2] === 'true';
  }
  return options;
}

function describeKey(key: ProjectKeyJson): string[] {
  const limit = key.rateLimit ? `${key.rateLimit.count} per ${key.rateLimit.window}s` : 'none';
  return [
    `${key.name}  (${key.isActive ? 'active' : 'disabled'})`,
    `  id:          ${key.id}`,
    `  dsn:         ${key.dsn.public}`,
    `  rate limit:  ${limit}`,
    `  created:     ${key.dateCreated}`,
  ];
}

/** Keys as the API shows them, with their organization's DSN settings. */
async function serializer(ctx: CliContext, organizationId: number) {
  const dsn = await ctx.services.organizations.dsnSettings(organizationId);
  return (row: ProjectKeyRow) => ctx.services.keySerializer.serialize(row, { includeUseCase: false, dsn });
}

async function requireKey(ctx: CliContext, projectPath: string, keyId: string) {
  const { org, project } = await requireProject(ctx.services, projectPath);
  const key = await ctx.services.keys.find(project.id, keyId, true);
  if (!key) throw new CliError(`key "${keyId}" not found in ${org.slug}/${project.slug}`);
  return { org, project, key };
}

export function registerKeyCommands(program: Command): void {
  const project = program.command('project').description('manage projects');
  registerUpstreamCommand(project);
  project
    .command('create <org/project-slug>')
    .description('create a project with its "Default" client key')
    .option('--team <team>', 'the team that owns the project')
    .option('--name <name>', 'display name (defaults to the slug)')
    .option('--platform <platform>', 'e.g. node, python, javascript-react')
    .option('--json', 'print the project (as the API shows it) and its Default key as JSON')
    .action((path: string, opts: { team?: string; name?: string; platform?: string; json?: boolean }) =>
      withServices(async (ctx) => {
        const [orgRef, slug] = splitPath(path, 'project-slug');
        const org = await requireOrg(ctx.services, orgRef);
        const team = opts.team ? await requireTeam(ctx.services, org, opts.team) : undefined;
        if (!isValidPlatform(opts.platform)) throw new CliError(`--platform "${opts.platform}" is not a platform Sentry knows`);
        const name = opts.name?.trim() || slug;
        if (name.length > 50) throw new CliError('--name must have at most 50 characters');
        const result = await ctx.services.projects.create(org, { name, slug, platform: opts.platform, team }, ctx.actor);
        if (!result.ok) {
          throw new CliError(result.reason === 'invalid_slug' ? `invalid project slug "${slug}": ${SLUG_ERROR}` : `project "${org.slug}/${slug}" already exists`);
        }
        const key = (await serializer(ctx, org.id))(result.defaultKey as ProjectKeyRow);
        if (opts.json) {
          // The project's fields as the API shows them to anyone (not those that depend on who asks).
          const teamRef = team && { id: String(team.id), slug: team.slug, name: team.name };
          return printJson({
            id: String(result.project.id),
            slug: result.project.slug,
            name: result.project.name,
            platform: result.project.platform,
            dateCreated: result.project.date_created,
            status: 'active',
            team: teamRef ?? null,
            teams: teamRef ? [teamRef] : [],
            defaultKey: key,
          });
        }
        print(`created project ${org.slug}/${result.project.slug} (id ${result.project.id})${team ? ` for team ${team.slug}` : ''}`);
        print(`its Default key's DSN: ${key.dsn.public}`);
      }),
    );

  const keys = program.command('keys').description("manage a project's client keys (DSNs)");

  keys
    .command('list <org/project>')
    .description('list client keys, newest first')
    .option('--status <status>', 'active or inactive')
    .option('--json', 'print the keys as the API returns them')
    .action((path: string, opts: { status?: string; json?: boolean }) =>
      withServices(async (ctx) => {
        if (opts.status !== undefined && opts.status !== 'active' && opts.status !== 'inactive') {
          throw new CliError(`--status must be active or inactive (got "${opts.status}")`);
        }
        const { project } = await requireProject(ctx.services, path);
        const status = opts.status === undefined ? {} : { status: opts.status === 'active' ? 0 : 1 };
        const rows: ProjectKeyRow[] = [];
        let cursor: Cursor | undefined = START_CURSOR;
        while (cursor) {
          const page = await ctx.services.keys.list({ projectIds: [project.id], userKeysOnly: true, ...status }, { cursor, limit: 100 });
          rows.push(...page.results);
          cursor = page.next.hasResults ? page.next : undefined;
        }
        const json = rows.map(await serializer(ctx, project.organization_id));
        if (opts.json) return printJson(json);
        if (json.length === 0) return print('no keys');
        for (const key of json) print(describeKey(key).join('\n'));
      }),
    );

  keys
    .command('show <org/project> <key_id>')
    .description('show one client key')
    .option('--json', 'print the key as the API returns it')
    .action((path: string, keyId: string, opts: { json?: boolean }) =>
      withServices(async (ctx) => {
        const { project, key } = await requireKey(ctx, path, keyId);
        const json = (await serializer(ctx, project.organization_id))(key);
        if (opts.json) return printJson(json);
        print(describeKey(json).join('\n'));
        print(`  secret DSN:  ${json.dsn.secret}`);
      }),
    );

  keys
    .command('create <org/project>')
    .description('create a client key')
    .option('--name <name>', 'a name (a generated two-word name when absent)')
    .option('--rate-limit <count/window>', 'at most COUNT events per WINDOW seconds, e.g. 1000/60')
    .option('--json', 'print the key as the API returns it')
    .action((path: string, opts: { name?: string; rateLimit?: string; json?: boolean }) =>
      withServices(async (ctx) => {
        const name = nameOption(opts.name);
        const rateLimit = opts.rateLimit === undefined ? undefined : rateLimitOption(opts.rateLimit);
        const { project } = await requireProject(ctx.services, path);
        const result = await ctx.services.keys.create(project, { name, rateLimit, useCase: 'user' }, ctx.actor);
        if (!result.ok) throw new CliError('a key with these values already exists');
        const json = (await serializer(ctx, project.organization_id))(result.key);
        if (opts.json) return printJson(json);
        print(describeKey(json).join('\n'));
      }),
    );

  keys
    .command('update <org/project> <key_id>')
    .description('rename, enable/disable, or change the rate limit or loader options of a key')
    .option('--name <name>', 'a new name')
    .option('--enable', 'accept events with this key')
    .option('--disable', 'refuse events with this key')
    .option('--rate-limit <count/window>', 'at most COUNT events per WINDOW seconds')
    .option('--no-rate-limit', 'remove the rate limit')
    .option('--browser-sdk-version <version>', `one of ${BROWSER_SDK_VERSION_CHOICES.join(', ')}`)
    .option('--loader-option <name=bool...>', `JS loader options: ${LOADER_OPTION_NAMES.join(', ')}`)
    .option('--json', 'print the key as the API returns it')
    .action(
      (
        path: string,
        keyId: string,
        opts: { name?: string; enable?: boolean; disable?: boolean; rateLimit?: string | false; browserSdkVersion?: string; loaderOption?: string[]; json?: boolean },
      ) =>
        withServices(async (ctx) => {
          const input = updateInput(opts);
          const { project, key } = await requireKey(ctx, path, keyId);
          const updated = await ctx.services.keys.update(project, key, input, ctx.actor);
          const json = (await serializer(ctx, project.organization_id))(updated);
          if (opts.json) return printJson(json);
          print(describeKey(json).join('\n'));
        }),
    );

  registerKeyPolicyCommand(keys);
  registerKeyCheckCommand(keys);

  keys
    .command('rotate <org/project> <key_id>')
    .description('replace a key: a successor now, the old key refused once the overlap ends')
    .option('--overlap <duration>', 'how long the old key keeps working: 0, 90s, 30m, 12h, 1d … at most 30d', '1d')
    .option('--json', 'print the new key as the API returns it')
    .action((path: string, keyId: string, opts: { overlap: string; json?: boolean }) =>
      withServices(async (ctx) => {
        const overlap = durationOption(opts.overlap);
        const { project, key } = await requireKey(ctx, path, keyId);
        const result = await ctx.services.rotation.rotate(project, key, overlap, ctx.actor);
        if (!result.ok) throw new CliError(`key ${keyId} is already being replaced by ${result.replacedBy}`);
        const json = (await serializer(ctx, project.organization_id))(result.successor);
        if (opts.json) return printJson(json);
        print(describeKey(json).join('\n'));
        print(`the old key ${key.public_key} is refused from ${result.previous.expires_at}`);
      }),
    );

  keys
    .command('delete <org/project> <key_id>')
    .description('delete a client key: events sent with it are refused from then on')
    .action((path: string, keyId: string) =>
      withServices(async (ctx) => {
        const { project, key } = await requireKey(ctx, path, keyId);
        await ctx.services.keys.remove(project, key, ctx.actor);
        print(`deleted key ${key.public_key} (${key.label})`);
      }),
    );

  registerKeyTransferCommands(keys);
}

function updateInput(opts: {
  name?: string;
  enable?: boolean;
  disable?: boolean;
  rateLimit?: string | false;
  browserSdkVersion?: string;
  loaderOption?: string[];
}): UpdateKeyInput {
  if (opts.enable && opts.disable) throw new CliError('--enable and --disable cannot be used together');
  const version = opts.browserSdkVersion;
  if (version !== undefined && !(BROWSER_SDK_VERSION_CHOICES as readonly string[]).includes(version)) {
    throw new CliError(`--browser-sdk-version must be one of ${BROWSER_SDK_VERSION_CHOICES.join(', ')} (got "${version}")`);
  }
  return {
    name: nameOption(opts.name),
    isActive: opts.enable ? true : opts.disable ? false : undefined,
    rateLimit: opts.rateLimit === false ? null : opts.rateLimit === undefined ? undefined : rateLimitOption(opts.rateLimit),
    browserSdkVersion: version,
    dynamicSdkLoaderOptions: loaderOptions(opts.loaderOption),
  };
}
