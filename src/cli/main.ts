/**
 * `clientkeys`: the server and the operator's commands. Commands act directly on the database
 * named by DATABASE_URL, creating the schema if needed; bad input ends with one line on stderr and
 * a non-zero exit code.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../config.ts';
import { VERSION } from '../version.ts';
import { CliError, print, withServices } from './context.ts';
import { registerCredentialCommands } from './commands/credentials.ts';
import { registerKeyCommands } from './commands/keys.ts';
import { registerSetupCommands } from './commands/setup.ts';

export function buildProgram(): Command {
  const program = new Command('clientkeys')
    .description('Sentry-compatible client keys (DSNs): the server and its operator commands.')
    .version(VERSION, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('serve')
    .description('run the server (PORT, HOST, PUBLIC_URL, DATABASE_URL from the environment)')
    .action(async () => {
      // Loaded here so that the other commands start without the HTTP stack.
      const { closeOnSignals, startServer } = await import('../server.ts');
      const server = await startServer(loadConfig());
      closeOnSignals(server);
    });

  program
    .command('migrate')
    .description('create or upgrade the database schema')
    .action(() =>
      withServices(async ({ services }) => {
        // withServices has already migrated; report where the schema stands.
        void services;
        print('the database schema is up to date');
      }),
    );

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
    if (error instanceof CliError || error instanceof ConfigError) {
      process.stderr.write(`clientkeys: ${error.message}\n`);
      return error instanceof ConfigError ? 78 : 1;
    }
    process.stderr.write(`clientkeys: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 70;
  }
}
