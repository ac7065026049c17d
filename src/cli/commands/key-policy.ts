/** keys set: a key's quotas per data category and its IP and origin rules (clientkeys), as the API's policy fields. */
import type { Command } from 'commander';
import { isDataCategory, isIpRule, isPolicyOrigin, POLICY_LIMITS, type KeyPolicy, type KeyQuota } from '../../domain/key-policy.ts';
import { MAX_POSITIVE_INT, MAX_RATE_LIMIT_WINDOW } from '../../domain/keys.ts';
import { CliError, print, printJson, requireProject, withServices } from '../context.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `transaction,span:1000/60` → a quota. */
export function quotaOption(value: string): KeyQuota {
  const match = /^([a-z_]+(?:,[a-z_]+)*):(\d+)\/(\d+)$/.exec(value.trim());
  if (!match) throw new CliError(`--quota must be CATEGORY[,CATEGORY…]:COUNT/WINDOW_SECONDS, e.g. transaction,span:1000/60 (got "${value}")`);
  const categories = match[1]!.split(',');
  const unknown = categories.filter((c) => !isDataCategory(c));
  if (unknown.length > 0) throw new CliError(`--quota: unknown data categor${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')}`);
  const count = Number(match[2]);
  const window = Number(match[3]);
  if (count > MAX_POSITIVE_INT) throw new CliError('--quota count is too large');
  if (window < 1 || window > MAX_RATE_LIMIT_WINDOW) throw new CliError(`--quota window must be 1 to ${MAX_RATE_LIMIT_WINDOW} seconds`);
  return { categories, count, window };
}

/** A repeatable option's values: undefined when not given, [] for "none". */
function listOption(values: string[] | undefined, name: string, check: (value: string) => boolean, max: number): string[] | undefined {
  if (values === undefined) return undefined;
  if (values.length === 1 && values[0] === 'none') return [];
  const bad = values.find((value) => !check(value));
  if (bad !== undefined) throw new CliError(`--${name}: "${bad}" is not ${name === 'origin' ? 'an acceptable origin pattern' : 'an IP address or CIDR'}`);
  if (values.length > max) throw new CliError(`--${name}: at most ${max}`);
  return values;
}

interface SetOptions {
  quota?: string[];
  allowIp?: string[];
  denyIp?: string[];
  origin?: string[];
  requireOrigin?: boolean;
  serverOnly?: boolean;
  json?: boolean;
}

export function policyFromOptions(opts: SetOptions): Partial<KeyPolicy> {
  const policy: Partial<KeyPolicy> = {};
  if (opts.quota !== undefined) {
    const quotas = opts.quota.length === 1 && opts.quota[0] === 'none' ? [] : opts.quota.map(quotaOption);
    if (quotas.length > POLICY_LIMITS.quotas) throw new CliError(`--quota: at most ${POLICY_LIMITS.quotas}`);
    policy.quotas = quotas;
  }
  const allowedIps = listOption(opts.allowIp, 'allow-ip', isIpRule, POLICY_LIMITS.ipRules);
  if (allowedIps) policy.allowedIps = allowedIps;
  const deniedIps = listOption(opts.denyIp, 'deny-ip', isIpRule, POLICY_LIMITS.ipRules);
  if (deniedIps) policy.deniedIps = deniedIps;
  const origins = listOption(opts.origin, 'origin', isPolicyOrigin, POLICY_LIMITS.origins);
  if (origins) policy.allowedOrigins = origins;
  if (opts.requireOrigin !== undefined) policy.requireOrigin = opts.requireOrigin;
  if (opts.serverOnly !== undefined) policy.serverOnly = opts.serverOnly;
  return policy;
}

export function registerKeyPolicyCommand(keys: Command): void {
  keys
    .command('set <org/project> <key_id>')
    .summary("set a key's quotas and IP and origin rules")
    .description(
      "set a key's quotas per data category and its network and origin rules (clientkeys' policy fields); each list given " +
        "replaces the key's list, and 'none' clears it (e.g. --quota none). Data categories are Relay's: error, transaction, " +
        'span, attachment, session, replay, log_item, log_byte, monitor, feedback, trace_metric, …',
    )
    .option('--quota <categories:count/window>', 'a quota, e.g. transaction,span:1000/60 (repeatable; at most 10)', collect)
    .option('--allow-ip <ip|cidr>', 'an address or CIDR that may use the key (repeatable; none: any)', collect)
    .option('--deny-ip <ip|cidr>', 'an address or CIDR that may not (repeatable)', collect)
    .option('--origin <pattern>', "an origin whose browsers may use the key, on top of the project's allowedDomains (repeatable)", collect)
    .option('--require-origin', 'refuse requests with neither Origin nor Referer')
    .option('--no-require-origin', 'accept requests without Origin or Referer')
    .option('--server-only', 'refuse any request with a browser Origin')
    .option('--no-server-only', 'accept browser requests')
    .option('--json', 'print the key as the API returns it')
    .action((path: string, keyId: string, opts: SetOptions) =>
      withServices(async (ctx) => {
        const policy = policyFromOptions(opts);
        if (Object.keys(policy).length === 0) throw new CliError('nothing to set: give --quota, --allow-ip, --deny-ip, --origin, --require-origin or --server-only');
        const { org, project } = await requireProject(ctx.services, path);
        const key = await ctx.services.keys.find(project.id, keyId, true);
        if (!key) throw new CliError(`key "${keyId}" not found in ${org.slug}/${project.slug}`);
        const updated = await ctx.services.keys.update(project, key, { policy }, ctx.actor);
        const json = ctx.services.keySerializer.serialize(updated, { includeUseCase: false });
        if (opts.json) return printJson(json);
        print(`key ${updated.public_key} of ${org.slug}/${project.slug}:`);
        print(`  quotas: ${json.quotas.length ? json.quotas.map((q) => `${q.categories.join(',')}:${q.count}/${q.window}`).join(' ') : 'none'}`);
        print(`  allowed IPs: ${json.allowedIps.join(' ') || 'any'}; denied IPs: ${json.deniedIps.join(' ') || 'none'}`);
        print(`  origins: ${json.allowedOrigins.join(' ') || "the project's"}; require origin: ${json.requireOrigin ? 'yes' : 'no'}; server only: ${json.serverOnly ? 'yes' : 'no'}`);
      }),
    );
}
