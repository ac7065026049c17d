/** token, orgtoken and apikey commands: issuing, listing and revoking credentials. */
import type { Command } from 'commander';
import { parseScopeList, type Scope } from '../../domain/scopes.ts';
import type { Services } from '../../services/index.ts';
import type { Actor } from '../../services/principal.ts';
import type { OrganizationRow } from '../../storage/schema.ts';
import { CliError, print, printJson, printSecret, requireOrg, requireUser, withServices } from '../context.ts';

function scopesOption(value: string): Scope[] {
  const parsed = parseScopeList(value);
  if (!parsed.ok) throw new CliError(`--scopes: ${parsed.error}`);
  return parsed.scopes;
}

export function expiryOption(days: string | undefined): string | undefined {
  if (days === undefined) return undefined;
  if (!/^\d+$/.test(days) || Number(days) < 1) throw new CliError(`--expires-in-days must be a positive integer (got "${days}")`);
  return new Date(Date.now() + Number(days) * 86_400_000).toISOString();
}

function idArgument(value: string, what: string): number {
  if (!/^\d+$/.test(value)) throw new CliError(`${what} must be a number as listed by the list command (got "${value}")`);
  return Number(value);
}

interface Listed {
  id: number;
  name: string;
  scopes: string[];
  last4: string;
  created: string;
  expires: string | null;
  state: string;
}

function printList(rows: Listed[], json: boolean | undefined): void {
  if (json) return printJson(rows);
  if (rows.length === 0) return print('none');
  for (const r of rows) {
    print(`${r.id}  ${r.name}  …${r.last4}  ${r.state}  scopes ${r.scopes.join(',')}  created ${r.created}${r.expires ? `  expires ${r.expires}` : ''}`);
  }
}

const state = (expires: string | null, active: boolean) =>
  !active ? 'revoked' : expires && Date.parse(expires) <= Date.now() ? 'expired' : 'active';

/** A credential as the list commands show it: never the secret, only its last characters. */
function listed(c: { id: number; name: string | null; scopes: string; last4: string; created: string; expires: string | null; active: boolean }): Listed {
  return { id: c.id, name: c.name ?? '', scopes: JSON.parse(c.scopes) as string[], last4: c.last4, created: c.created, expires: c.expires, state: state(c.expires, c.active) };
}

async function userTokens(services: Services, email: string): Promise<Listed[]> {
  const rows = await services.credentials.userTokens(await requireUser(services, email));
  return rows.map((t) => listed({ ...t, last4: t.token_last_characters, created: t.date_created, expires: t.expires_at, active: true }));
}

async function orgTokens(services: Services, orgRef: string): Promise<Listed[]> {
  const rows = await services.credentials.orgTokens(await requireOrg(services, orgRef));
  return rows.map((t) => listed({ ...t, last4: t.token_last_characters, created: t.date_created, expires: t.expires_at, active: t.date_deactivated === null }));
}

async function apiKeys(services: Services, orgRef: string): Promise<Listed[]> {
  const rows = await services.credentials.apiKeys(await requireOrg(services, orgRef));
  return rows.map((k) => listed({ ...k, name: k.label, last4: k.key_last_characters, created: k.date_created, expires: k.expires_at, active: k.status === 0 }));
}

/** `<command> list <owner>`: the credentials of a user or an organization, as text or JSON. */
function listCommand(parent: Command, owner: string, description: string, list: (services: Services, ref: string) => Promise<Listed[]>): void {
  parent
    .command(`list <${owner}>`)
    .description(description)
    .option('--json', 'print JSON')
    .action((ref: string, opts: { json?: boolean }) => withServices(async ({ services }) => printList(await list(services, ref), opts.json)));
}

/** `<command> revoke <org> <id>`: one of an organization's credentials disabled, by its id from the list command. */
function revokeInOrganization(
  parent: Command,
  what: string,
  idName: string,
  description: string,
  revoke: (services: Services, organization: OrganizationRow, id: number, actor: Actor) => Promise<boolean>,
): void {
  parent
    .command(`revoke <org> <${idName}>`)
    .description(description)
    .action((orgRef: string, id: string) =>
      withServices(async ({ services, actor }) => {
        const credentialId = idArgument(id, idName);
        const organization = await requireOrg(services, orgRef);
        if (!(await revoke(services, organization, credentialId, actor))) throw new CliError(`active ${what} ${credentialId} not found in ${organization.slug}`);
        print(`revoked ${what} ${credentialId}`);
      }),
    );
}

export function registerCredentialCommands(program: Command): void {
  const token = program.command('token').description('manage user auth tokens (Bearer sntryu_…)');
  token
    .command('create <email>')
    .description('create a user auth token; printed once, alone on the last line')
    .requiredOption('--scopes <scopes>', 'comma-separated scopes, e.g. project:read,project:write')
    .option('--name <name>', 'what the token is for')
    .option('--expires-in-days <days>', 'expire the token after this many days')
    .action((email: string, opts: { scopes: string; name?: string; expiresInDays?: string }) =>
      withServices(async ({ services, actor }) => {
        const scopes = scopesOption(opts.scopes);
        const expiresAt = expiryOption(opts.expiresInDays);
        const user = await requireUser(services, email);
        const created = await services.credentials.issueUserToken(user, scopes, { name: opts.name, expiresAt, actor });
        print(`created token ${created.id} for ${user.email} with scopes ${scopes.join(',')}${expiresAt ? `, expiring ${expiresAt}` : ''}`);
        printSecret(created.token);
      }),
    );
  listCommand(token, 'email', "list a user's tokens (never the tokens themselves)", userTokens);
  token
    .command('revoke <token-id>')
    .description('revoke a user token (its id from `token list`)')
    .action((id: string) =>
      withServices(async ({ services, actor }) => {
        const tokenId = idArgument(id, 'token-id');
        if (!(await services.credentials.revokeUserToken(tokenId, actor))) throw new CliError(`token ${tokenId} not found`);
        print(`revoked token ${tokenId}`);
      }),
    );

  const orgtoken = program.command('orgtoken').description('manage organization auth tokens (Bearer sntrys_…)');
  orgtoken
    .command('create <org>')
    .description('create an organization auth token; printed once, alone on the last line')
    .option('--scopes <scopes>', 'comma-separated scopes', 'org:ci')
    .option('--name <name>', 'what the token is for', 'clientkeys cli')
    .option('--expires-in-days <days>', 'expire the token after this many days')
    .action((orgRef: string, opts: { scopes: string; name: string; expiresInDays?: string }) =>
      withServices(async ({ services, actor }) => {
        const scopes = scopesOption(opts.scopes);
        const expiresAt = expiryOption(opts.expiresInDays);
        const organization = await requireOrg(services, orgRef);
        const created = await services.credentials.issueOrgToken(organization, opts.name, scopes, actor, { expiresAt });
        print(`created organization token ${created.id} for ${organization.slug} with scopes ${scopes.join(',')}`);
        printSecret(created.token);
      }),
    );
  listCommand(orgtoken, 'org', "list an organization's auth tokens", orgTokens);
  revokeInOrganization(orgtoken, 'organization token', 'token-id', 'revoke an organization auth token (its id from `orgtoken list`)', (services, organization, id, actor) =>
    services.credentials.revokeOrgToken(organization, id, actor),
  );

  const apikey = program.command('apikey').description('manage organization API keys (HTTP Basic)');
  apikey
    .command('create <org>')
    .description('create an organization API key; printed once, alone on the last line')
    .requiredOption('--scopes <scopes>', 'comma-separated scopes, e.g. project:read,project:write')
    .option('--label <label>', 'what the key is for')
    .option('--allowed-origin <origin...>', 'browser origins allowed to use the key ("*" for any)')
    .option('--expires-in-days <days>', 'expire the key after this many days')
    .action((orgRef: string, opts: { scopes: string; label?: string; allowedOrigin?: string[]; expiresInDays?: string }) =>
      withServices(async ({ services, actor }) => {
        const scopes = scopesOption(opts.scopes);
        const expiresAt = expiryOption(opts.expiresInDays);
        const organization = await requireOrg(services, orgRef);
        const created = await services.credentials.issueApiKey(
          organization,
          scopes,
          { label: opts.label, allowedOrigins: opts.allowedOrigin, expiresAt },
          actor,
        );
        print(`created API key ${created.row.id} for ${organization.slug} with scopes ${scopes.join(',')}`);
        print('use it as the user name of HTTP Basic auth with an empty password: curl -u "<key>:" …');
        printSecret(created.key);
      }),
    );
  listCommand(apikey, 'org', "list an organization's API keys (never the keys themselves)", apiKeys);
  revokeInOrganization(apikey, 'API key', 'key-id', 'disable an API key (its id from `apikey list`)', (services, organization, id, actor) =>
    services.credentials.revokeApiKey(organization, id, actor),
  );
}
