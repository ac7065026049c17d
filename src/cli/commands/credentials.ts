/** token, orgtoken and apikey commands: issuing, listing and revoking credentials. */
import type { Command } from 'commander';
import { parseScopeList, type Scope } from '../../domain/scopes.ts';
import type { Services } from '../../services/index.ts';
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

async function userTokens(services: Services, email: string): Promise<Listed[]> {
  const user = await requireUser(services, email);
  return (await services.credentials.userTokens(user)).map((t) => ({
    id: t.id,
    name: t.name ?? '',
    scopes: JSON.parse(t.scopes) as string[],
    last4: t.token_last_characters,
    created: t.date_created,
    expires: t.expires_at,
    state: state(t.expires_at, true),
  }));
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
  token
    .command('list <email>')
    .description("list a user's tokens (never the tokens themselves)")
    .option('--json', 'print JSON')
    .action((email: string, opts: { json?: boolean }) => withServices(async ({ services }) => printList(await userTokens(services, email), opts.json)));
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
  orgtoken
    .command('list <org>')
    .description("list an organization's auth tokens")
    .option('--json', 'print JSON')
    .action((orgRef: string, opts: { json?: boolean }) =>
      withServices(async ({ services }) => {
        const organization = await requireOrg(services, orgRef);
        const rows = await services.credentials.orgTokens(organization);
        printList(
          rows.map((t) => ({
            id: t.id,
            name: t.name,
            scopes: JSON.parse(t.scopes) as string[],
            last4: t.token_last_characters,
            created: t.date_created,
            expires: t.expires_at,
            state: state(t.expires_at, t.date_deactivated === null),
          })),
          opts.json,
        );
      }),
    );
  orgtoken
    .command('revoke <org> <token-id>')
    .description('revoke an organization auth token (its id from `orgtoken list`)')
    .action((orgRef: string, id: string) =>
      withServices(async ({ services, actor }) => {
        const tokenId = idArgument(id, 'token-id');
        const organization = await requireOrg(services, orgRef);
        if (!(await services.credentials.revokeOrgToken(organization, tokenId, actor))) {
          throw new CliError(`active organization token ${tokenId} not found in ${organization.slug}`);
        }
        print(`revoked organization token ${tokenId}`);
      }),
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
  apikey
    .command('list <org>')
    .description("list an organization's API keys (never the keys themselves)")
    .option('--json', 'print JSON')
    .action((orgRef: string, opts: { json?: boolean }) =>
      withServices(async ({ services }) => {
        const organization = await requireOrg(services, orgRef);
        const rows = await services.credentials.apiKeys(organization);
        printList(
          rows.map((k) => ({
            id: k.id,
            name: k.label,
            scopes: JSON.parse(k.scopes) as string[],
            last4: k.key_last_characters,
            created: k.date_created,
            expires: k.expires_at,
            state: state(k.expires_at, k.status === 0),
          })),
          opts.json,
        );
      }),
    );
  apikey
    .command('revoke <org> <key-id>')
    .description('disable an API key (its id from `apikey list`)')
    .action((orgRef: string, id: string) =>
      withServices(async ({ services, actor }) => {
        const keyId = idArgument(id, 'key-id');
        const organization = await requireOrg(services, orgRef);
        if (!(await services.credentials.revokeApiKey(organization, keyId, actor))) {
          throw new CliError(`active API key ${keyId} not found in ${organization.slug}`);
        }
        print(`revoked API key ${keyId}`);
      }),
    );
}
