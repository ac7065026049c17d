/**
 * `clientkeys`: the server and the operator's commands. Commands act directly on the database
 * named by DATABASE_URL, creating the schema in an empty one and refusing an outdated one (naming
 * `clientkeys migrate`); bad input ends with one line on stderr and a non-zero exit code.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../config.ts';
import { VERSION } from '../version.ts';
import { SchemaMismatchError } from '../schema-check.ts';
import { isDatabaseUnavailable } from '../storage/errors.ts';
import { CliError } from './context.ts';
import { registerCredentialCommands } from './commands/credentials.ts';
import { registerKeyCommands } from './commands/keys.ts';
import { registerOperationCommands } from './commands/operations.ts';
import { registerSetupCommands } from './commands/setup.ts';

export function buildProgram(): Command {
  const program = new Command('clientkeys')
    .description('Sentry-compatible client keys (DSNs): the server and its operator commands.')
    .version(VERSION, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText(
      'after',
      '\nConfiguration comes from environment variables (DATABASE_URL, PORT, HOST, PUBLIC_URL, LOG_LEVEL, …), described\n' +
        "in docs/configuration.md (also inside the installed package). `clientkeys <command> --help` describes each command.",
    );

  program
    .command('serve')
    .summary('run the server')
    .description(
      'run the server (configured by environment variables: PORT, HOST, PUBLIC_URL, DATABASE_URL…; see docs/configuration.md). ' +
        'An empty database gets the schema; an outdated one is refused unless --migrate or AUTO_MIGRATE=1',
    )
    .option('--migrate', 'apply pending migrations to an outdated database before listening (as AUTO_MIGRATE=1)')
    .action(async (opts: { migrate?: boolean }) => {
      // Loaded here so that the other commands start without the HTTP stack.
      const { closeOnSignals, startServer } = await import('../server.ts');
      const config = loadConfig();
      const server = await startServer({ ...config, autoMigrate: config.autoMigrate || opts.migrate === true });
      closeOnSignals(server);
    });

  registerOperationCommands(program);
  registerSetupCommands(program);
  registerCredentialCommands(program);
  registerKeyCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof CliError || error instanceof ConfigError || error instanceof SchemaMismatchError) {
      process.stderr.write(`clientkeys: ${error.message}\n`);
      return error instanceof ConfigError ? 78 : 1;
    }
    if (isDatabaseUnavailable(error)) {
      // EX_UNAVAILABLE: worth retrying (a process manager restarting the server, a script its command).
      process.stderr.write(`clientkeys: cannot reach the database named by DATABASE_URL (${error instanceof Error ? error.message : String(error)})\n`);
      return 69;
    }
    process.stderr.write(`clientkeys: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 70;
  }
}
