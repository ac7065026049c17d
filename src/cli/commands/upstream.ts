/** project upstream: where a project's accepted events are delivered (gateway mode), as `upstreamDsn` on the API. */
import type { Command } from 'commander';
import { CliError, print, printJson, requireProject, withServices } from '../context.ts';

export function registerUpstreamCommand(project: Command): void {
  project
    .command('upstream <org/project> [dsn]')
    .summary("set, clear or show a project's backend (gateway mode)")
    .description(
      "deliver the project's accepted events to the backend named by DSN (sentry.io, a self-hosted Sentry, a Relay, GlitchTip, " +
        "Bugsink: any Sentry ingest endpoint), under that backend's key; --clear stops delivering. Without a DSN, shows the " +
        'backend and its delivery state. The backend must be a host UPSTREAM_HOSTS allows (by default, public addresses only)',
    )
    .option('--clear', 'remove the upstream: accepted events are no longer delivered')
    .option('--json', 'print the delivery state as GET /api/0/projects/{org}/{project}/upstream/ does')
    .action((path: string, dsn: string | undefined, opts: { clear?: boolean; json?: boolean }) =>
      withServices(async (ctx) => {
        const { org, project: row } = await requireProject(ctx.services, path);
        if (dsn !== undefined && opts.clear) throw new CliError('give a DSN or --clear, not both');
        let current = row;
        if (dsn !== undefined || opts.clear) {
          const validated = await ctx.services.upstreams.validate(opts.clear ? null : (dsn as string));
          if (!validated.ok) throw new CliError(validated.error);
          current = await ctx.services.upstreams.set(row, validated.dsn, ctx.actor);
        }
        const state = await ctx.services.upstreams.state(current);
        if (opts.json) return printJson(state);
        const where = `${org.slug}/${current.slug}`;
        if (!state.upstream) return print(opts.clear ? `${where} no longer delivers to a backend` : `${where} has no upstream`);
        print(`${where} delivers to ${state.upstream.host} (project ${state.upstream.projectId})`);
        if (dsn === undefined) {
          print(`delivered ${state.delivered}, queued ${state.queued} (retrying ${state.retrying}), refused ${state.refused}, rate limited ${state.rateLimited}`);
          if (state.lastError) print(`last error ${state.lastError.at}: ${state.lastError.status ?? 'network'} ${state.lastError.reason}`);
        }
      }),
    );
}
