/**
 * keys check <dsn>: send a test event to a DSN through the real ingest path (HTTP, as an SDK
 * would) and say in one line what happened and why: accepted; refused because the key is disabled
 * (since when), rotated out or expired, of another project, or unknown; rate limited until when;
 * origin or address not allowed. The key's own record (from DATABASE_URL) explains what Relay's
 * answer alone does not. Exit code 0 only when the event was accepted.
 */
import type { Command } from 'commander';
import { dsnApiBase, parseDsn, type Dsn } from '../../domain/dsn.ts';
import { KEY_STATUS } from '../../domain/keys.ts';
import type { Services } from '../../services/index.ts';
import { VERSION } from '../../version.ts';
import { CliError, print, printJson, withServices } from '../context.ts';

export interface CheckResult {
  accepted: boolean;
  status: number | null;
  /** accepted, disabled, expired, project_mismatch, unknown_key, rate_limited, origin, ip, too_large, queue_full, invalid, unreachable. */
  verdict: string;
  message: string;
  detail: string | null;
  eventId: string;
}

function testEnvelope(dsn: string, eventId: string): string {
  const event = { event_id: eventId, message: 'clientkeys keys check: this DSN works', level: 'info', platform: 'other', tags: { clientkeys_check: 'true' }, timestamp: Date.now() / 1000 };
  return `${JSON.stringify({ event_id: eventId, dsn, sent_at: new Date().toISOString(), sdk: { name: 'clientkeys.check', version: VERSION } })}\n{"type":"event"}\n${JSON.stringify(event)}\n`;
}

/** Why Relay's "ProjectId" refusal happened, from the key's own record. */
async function explainRejection(services: Services, dsn: Dsn): Promise<Pick<CheckResult, 'verdict' | 'message'>> {
  const key = await services.keys.byPublicKey(dsn.publicKey);
  if (!key) return { verdict: 'unknown_key', message: `refused: no key ${dsn.publicKey} exists here (a typo, or a DSN of another server)` };
  if (String(key.project_id) !== dsn.projectId) return { verdict: 'project_mismatch', message: `refused: key ${dsn.publicKey} belongs to project ${key.project_id}, not ${dsn.projectId} (the DSN's project id is wrong)` };
  if (key.expires_at !== null && Date.parse(key.expires_at) <= Date.now()) {
    const by = key.replaced_by ? `; its successor is ${key.replaced_by}` : '';
    return { verdict: 'expired', message: `refused: the key was rotated out and stopped working at ${key.expires_at}${by}` };
  }
  if (key.status !== KEY_STATUS.active) {
    const project = await services.directory.projectById(key.project_id);
    const disabledAt = project && (await services.keys.disabledAt(key, project.organization_id));
    return { verdict: 'disabled', message: `refused: the key is disabled${disabledAt ? ` since ${disabledAt}` : ''} (enable it, or use another key)` };
  }
  return { verdict: 'disabled', message: "refused: the key's project is being deleted, or the key is not for events" };
}

export async function checkDsn(services: Services, text: string, origin: string | undefined): Promise<CheckResult> {
  const parsed = parseDsn(text);
  if (!parsed.ok) throw new CliError(parsed.error);
  const dsn = parsed.dsn;
  const eventId = crypto.randomUUID().replaceAll('-', '');
  const url = `${dsnApiBase(dsn)}envelope/`;
  const headers: Record<string, string> = { 'content-type': 'application/x-sentry-envelope', 'x-sentry-auth': `Sentry sentry_key=${dsn.publicKey}, sentry_version=7, sentry_client=clientkeys-check/${VERSION}` };
  if (origin) headers.origin = origin;
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers, body: testEnvelope(text.trim(), eventId), signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, a bad port, a certificate) is its cause.
    const why = (error as { cause?: { code?: string; message?: string } }).cause;
    const cause = why?.code ?? why?.message ?? (error as Error).message;
    return { accepted: false, status: null, verdict: 'unreachable', message: `could not reach ${url} (${cause})`, detail: null, eventId };
  }
  const body = await response.text();
  let detail: string | null = null;
  try {
    detail = (JSON.parse(body) as { detail?: string }).detail ?? null;
  } catch {
    detail = null;
  }
  const status = response.status;
  const done = (verdict: string, message: string): CheckResult => ({ accepted: verdict === 'accepted', status, verdict, message, detail, eventId });
  if (status === 200) return done('accepted', `accepted: event ${eventId} went through${response.headers.get('x-sentry-rate-limits') ? ` (some categories are rate limited: ${response.headers.get('x-sentry-rate-limits')})` : ''}`);
  if (status === 429) {
    const retry = Number(response.headers.get('retry-after') ?? '0');
    return done('rate_limited', `rate limited until ${new Date(Date.now() + retry * 1000).toISOString()} (${response.headers.get('x-sentry-rate-limits') ?? 'all categories'})`);
  }
  if (detail === 'event submission rejected with_reason: Cors') return done('origin', `refused: origin not allowed${origin ? ` (${origin})` : ' (the key or its project requires an allowed Origin)'}`);
  if (detail === 'event submission rejected with_reason: IpAddress') return done('ip', "refused: this machine's address is not allowed to use the key");
  if (status === 403) {
    const explained = await explainRejection(services, dsn);
    return done(explained.verdict, explained.message);
  }
  if (status === 413) return done('too_large', 'refused: the event is too large');
  if (status === 503) return done('queue_full', `refused for now: ${detail ?? 'the server cannot queue events'}; retry later`);
  return done('invalid', `refused with ${status}: ${detail ?? (body.slice(0, 200) || 'no reason given')}`);
}

export function registerKeyCheckCommand(keys: Command): void {
  keys
    .command('check <dsn>')
    .summary('send a test event to a DSN and say whether it works, and why not')
    .description(
      'send one test event (message "clientkeys keys check: this DSN works", level info) to the DSN through the real ingest ' +
        'path, as an SDK would, and explain the answer in one line; exit code 0 only when accepted. The key itself is looked ' +
        'up in DATABASE_URL to explain refusals',
    )
    .option('--origin <origin>', 'send as a browser on this origin would')
    .option('--json', 'print the verdict as JSON')
    .action((dsn: string, opts: { origin?: string; json?: boolean }) =>
      withServices(async (ctx) => {
        const result = await checkDsn(ctx.services, dsn, opts.origin);
        if (opts.json) printJson(result);
        else print(result.message);
        if (!result.accepted) process.exitCode = 1;
      }),
    );
}
