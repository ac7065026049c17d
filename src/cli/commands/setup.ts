/** org, team, user and member commands: setting up who belongs where. */
import type { Command } from 'commander';
import { isOrgRole, isTeamRole } from '../../domain/scopes.ts';
import {
  CliError,
  print,
  requireOrg,
  requireTeam,
  requireUser,
  splitPath,
  withServices,
  type CliContext,
} from '../context.ts';

function unwrap<T>(result: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!result.ok) throw new CliError(result.error);
  return result.value;
}

export function registerSetupCommands(program: Command): void {
  const org = program.command('org').description('manage organizations');
  org
    .command('create <org-slug>')
    .description('create an organization')
    .option('--name <name>', 'display name (defaults to the slug)')
    .action((slug: string, opts: { name?: string }) =>
      withServices(async ({ services, actor }) => {
        const created = unwrap(await services.organizations.createOrganization(slug, opts.name, actor));
        print(`created organization ${created.slug} (id ${created.id})`);
      }),
    );

  const team = program.command('team').description('manage teams');
  team
    .command('create <org/team-slug>')
    .description('create a team in an organization')
    .option('--name <name>', 'display name (defaults to the slug)')
    .action((path: string, opts: { name?: string }) =>
      withServices(async ({ services, actor }) => {
        const [orgRef, slug] = splitPath(path, 'team-slug');
        const organization = await requireOrg(services, orgRef);
        const created = unwrap(await services.organizations.createTeam(organization, slug, opts.name, actor));
        print(`created team ${organization.slug}/${created.slug} (id ${created.id})`);
      }),
    );

  const user = program.command('user').description('manage users');
  user
    .command('create <email>')
    .description('create a user')
    .option('--superuser', 'the user may act in every organization')
    .option('--password <password>', 'a password for signing in to the web page')
    .action((email: string, opts: { superuser?: boolean; password?: string }) =>
      withServices(async ({ services }) => {
        const created = unwrap(await services.users.create(email, { superuser: opts.superuser ?? false, password: opts.password }));
        print(`created user ${created.email} (id ${created.id})${created.is_superuser ? ' as superuser' : ''}`);
      }),
    );
  user
    .command('password <email>')
    .description("set a user's password")
    .requiredOption('--password <password>', 'the new password')
    .action((email: string, opts: { password: string }) =>
      withServices(async ({ services }) => {
        const found = await requireUser(services, email);
        unwrap(await services.users.setPassword(found, opts.password));
        print(`password set for ${found.email}`);
      }),
    );

  program
    .command('member')
    .description('manage organization members')
    .command('add <org> <email>')
    .description('add a user to an organization (or change their role)')
    .requiredOption('--role <role>', 'member, admin, manager or owner')
    .option('--team <team>', 'also add them to this team')
    .option('--team-role <role>', 'their role in the team: contributor or admin')
    .action((orgRef: string, email: string, opts: { role: string; team?: string; teamRole?: string }) =>
      withServices(async ({ services, actor }) => addMember({ services, actor } as CliContext, orgRef, email, opts)),
    );

}

async function addMember(
  { services, actor }: CliContext,
  orgRef: string,
  email: string,
  opts: { role: string; team?: string; teamRole?: string },
): Promise<void> {
  if (!isOrgRole(opts.role)) throw new CliError(`--role must be member, admin, manager or owner (got "${opts.role}")`);
  if (opts.teamRole !== undefined && !isTeamRole(opts.teamRole)) {
    throw new CliError(`--team-role must be contributor or admin (got "${opts.teamRole}")`);
  }
  if (opts.teamRole !== undefined && opts.team === undefined) throw new CliError('--team-role needs --team');
  const organization = await requireOrg(services, orgRef);
  const found = await requireUser(services, email);
  const team = opts.team ? await requireTeam(services, organization, opts.team) : undefined;
  const teamRole = opts.teamRole !== undefined && isTeamRole(opts.teamRole) ? opts.teamRole : null;
  await services.organizations.addMember(organization, found, opts.role, team && { team, role: teamRole }, actor);
  print(`${found.email} is ${opts.role} of ${organization.slug}${team ? ` and in team ${team.slug}` : ''}`);
}
