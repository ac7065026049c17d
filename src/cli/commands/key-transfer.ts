/** keys export and keys import: a project's keys as JSON in Sentry's format, e.g. to move from Sentry. */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { writePrivateFile } from '../../storage/private-files.ts';
import { parseKeyFile } from '../../schemas/key-file.ts';
import type { ImportResult } from '../../services/key-transfer.ts';
import { CliError, count, print, requireProject, withServices } from '../context.ts';
import { withProgress } from '../progress.ts';

export function registerKeyTransferCommands(keys: Command): void {
  keys
    .command('export <org/project>')
    .summary("write a project's keys as JSON")
    .description("write every key of a project as JSON, as Sentry's key list shows them (secrets included), for `keys import`")
    .option('-o, --output <file>', 'write to FILE (readable by its owner only) instead of stdout')
    .action((path: string, opts: { output?: string }) =>
      withServices(async ({ services }) => {
        const { org, project } = await requireProject(services, path);
        const exported = await withProgress('export', 'keys', (bar) => services.keyTransfer.exportKeys(project, bar.update));
        const json = `${JSON.stringify(exported, null, 2)}\n`;
        if (!opts.output) return void process.stdout.write(json);
        writePrivateFile(opts.output, json);
        print(`exported ${count(exported.length, 'key')} of ${org.slug}/${project.slug} to ${opts.output}`);
      }),
    );

  keys
    .command('import <org/project> <file>')
    .summary("create a project's keys from JSON (e.g. Sentry's key list)")
    .description(
      "create a project's keys from FILE (\"-\" for stdin): the JSON of Sentry's GET /api/0/projects/{org}/{project}/keys/, " +
        'every page one after another, or of `keys export`. Public and secret keys, names, active state, rate limits and ' +
        'loader options are kept. Keys already in the project are left as they are; if any key belongs to another project, ' +
        'nothing is imported',
    )
    .action((path: string, file: string) =>
      withServices(async ({ services, actor }) => {
        if (file !== '-' && !existsSync(file)) throw new CliError(`${file} not found`);
        const parsed = parseKeyFile(readFileSync(file === '-' ? 0 : file, 'utf8'));
        if (!parsed.ok) throw new CliError(`${file === '-' ? 'stdin' : file}: ${parsed.error}`);
        const { org, project } = await requireProject(services, path);
        const result = await withProgress('import', 'keys', (bar) => services.keyTransfer.importKeys(project, parsed.keys, actor, bar.update));
        if (!result.ok) throw new CliError(`${refusal(result)}; nothing was imported`);
        const present = result.alreadyPresent.length;
        print(`imported ${count(result.created.length, 'key')} into ${org.slug}/${project.slug}${present ? ` (${present} already there, left as they are)` : ''}`);
      }),
    );
}

function refusal(result: Extract<ImportResult, { ok: false }>): string {
  switch (result.reason) {
    case 'elsewhere': {
      const owner = result.owner ? `project ${result.owner.organizationSlug}/${result.owner.projectSlug}` : 'another project';
      return `key ${result.publicKey} already belongs to ${owner} (a public key identifies one project)`;
    }
    case 'different_secret':
      return `key ${result.publicKey} is already in this project with a different secret`;
    case 'secret_taken':
      return `the secret of key ${result.publicKey} is already used by another key`;
  }
}
