/**
 * `clientkeys --help`, `clientkeys <command> --help` and `--version`: every command and every
 * option says what it does, and the help a person gets from the real binary shows it.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/main.ts';
import { cli } from './helpers/cli.ts';

/** Every command below the program, with its full name ("keys import"). */
function commands(command: Command, prefix: string[] = []): { name: string[]; command: Command }[] {
  return command.commands
    .filter((c) => c.name() !== 'help')
    .flatMap((c) => [{ name: [...prefix, c.name()], command: c }, ...commands(c, [...prefix, c.name()])]);
}

const all = commands(buildProgram());
const leaves = all.filter((c) => c.command.commands.length === 0);

describe('help', () => {
  it('covers the commands an operator needs', () => {
    const names = all.map((c) => c.name.join(' '));
    expect(names).toEqual(
      expect.arrayContaining(['serve', 'migrate', 'backup', 'restore', 'keys export', 'keys import', 'keys list', 'org create', 'project create', 'apikey create']),
    );
  });

  it.each(all.map((c) => [c.name.join(' '), c.command] as const))('%s: the command and each option are described', (_name, command) => {
    expect(command.description().length).toBeGreaterThan(10);
    for (const option of command.options) expect(option.description, option.flags).toMatch(/\w{3,}/);
  });

  it.each(leaves.map((c) => [c.name.join(' '), c.command] as const))('%s --help lists every option', (_name, command) => {
    const help = command.helpInformation();
    for (const option of command.options) expect(help).toContain(option.long ?? option.flags);
  });

  it('the binary prints help and the version, and exits 0', () => {
    const top = cli(['--help'], {});
    expect(top.code).toBe(0);
    for (const c of all.filter((c) => c.name.length === 1)) expect(top.stdout).toMatch(new RegExp(`^  ${c.name[0]}\\b`, 'm'));
    expect(top.stdout).toContain('docs/configuration.md');

    const importHelp = cli(['keys', 'import', '--help'], {});
    expect(importHelp.code).toBe(0);
    expect(importHelp.stdout).toMatch(/^Usage: clientkeys keys import \[options\] <org\/project> <file>/);
    expect(importHelp.stdout).toContain("Sentry's GET");

    const serve = cli(['serve', '--help'], {});
    expect(serve.stdout).toMatch(/--migrate\s+apply pending migrations/);

    const { version } = JSON.parse(readFileSync(resolve(import.meta.dirname, '../package.json'), 'utf8')) as { version: string };
    expect(cli(['--version'], {}).stdout).toBe(`${version}\n`);
  });
});
