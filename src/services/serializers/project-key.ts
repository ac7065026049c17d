/**
 * Sentry's ProjectKeySerializer (S:src/sentry/api/serializers/models/project_key.py): a stored key
 * as the API shows it, with the DSN URLs built as ProjectKey.get_endpoint builds them
 * (S:src/sentry/models/projectkey.py): on the organization's Relay when it set one
 * (`sentry:relay_dsn_endpoint`, every URL but `cdn`); else on INGEST_URL (SENTRY_PUBLIC_ENDPOINT),
 * the secret DSN on PUBLIC_URL (SENTRY_ENDPOINT falls back to the URL prefix); with
 * INGEST_ORG_SUBDOMAINS the host gets the organization's `o<id>.` prefix, as on sentry.io.
 */
import { isIP } from 'node:net';
import {
  AVAILABLE_BROWSER_SDK_VERSIONS,
  DEFAULT_BROWSER_SDK_VERSION,
  effectiveRateLimit,
  expiryMs,
  keyIsLive,
  parseKeyData,
  type KeyData,
} from '../../domain/keys.ts';
import { parsePolicy, type KeyPolicy } from '../../domain/key-policy.ts';
import { withJsonBytes } from '../../schemas/built-by-serializers.ts';
import type { ProjectKeyJson } from '../../schemas/project-key.ts';
import { RELAY_DSN_ENDPOINT_OPTION } from '../../domain/relay-dsn-endpoint.ts';
import type { ProjectKeyRow } from '../../storage/schema.ts';
import type { Stores } from '../../storage/stores/index.ts';

const BROWSER_SDK = { choices: AVAILABLE_BROWSER_SDK_VERSIONS.map((v): [string, string] => [v, v]) };

/** A key's policy as the API shows it (every field, empty when unset), parsed once per distinct text. */
const policyAnswers = new Map<string, ReturnType<typeof answerOf>>();

function answerOf(policy: KeyPolicy) {
  return {
    quotas: policy.quotas.map((q) => ({ categories: [...q.categories], count: q.count, window: q.window })),
    allowedIps: [...policy.allowedIps],
    deniedIps: [...policy.deniedIps],
    allowedOrigins: [...policy.allowedOrigins],
    requireOrigin: policy.requireOrigin,
    serverOnly: policy.serverOnly,
  };
}

export function policyFields(text: string | null): ReturnType<typeof answerOf> {
  const memo = text ?? '';
  let answer = policyAnswers.get(memo);
  if (!answer) {
    answer = answerOf(parsePolicy(text));
    if (policyAnswers.size >= 1000) policyAnswers.clear();
    policyAnswers.set(memo, answer);
  }
  return answer;
}

/** Sentry's `isActive`, with the rotation overlap: the domain's one rule, on a stored row. */
export function isKeyActive(row: Pick<ProjectKeyRow, 'status' | 'roles' | 'expires_at'>, now: number): boolean {
  return keyIsLive({ status: row.status, roles: row.roles, expiresAt: expiryMs(row.expires_at) }, now);
}

/** Sentry's order: `{"window", "count"}`. */
function rateLimitAnswer(row: Pick<ProjectKeyRow, 'rate_limit_count' | 'rate_limit_window'>): { window: number; count: number } | null {
  const limit = effectiveRateLimit(row.rate_limit_count, row.rate_limit_window);
  return limit && { window: limit.window, count: limit.count };
}

/** Most keys share a handful of loader settings: parse each distinct text once, not once per key and request. */
const DATA_MEMO_SIZE = 256;

/** The answers kept with their JSON bytes (about 3 KB each): twenty pages of 100 keys. */
const ANSWER_CACHE_SIZE = 2048;

interface CachedAnswer {
  row: ProjectKeyRow;
  isActive: boolean;
  includeUseCase: boolean;
  dsn: DsnSettings;
  json: Readonly<ProjectKeyJson>;
}

/** What of a key's organization its URLs depend on. */
export interface DsnSettings {
  /** Needed for INGEST_ORG_SUBDOMAINS. */
  organizationId: number | null;
  /** The organization's `sentry:relay_dsn_endpoint`, or null. */
  relayDsnEndpoint: string | null;
}

const NO_ORGANIZATION: DsnSettings = { organizationId: null, relayDsnEndpoint: null };

/** The DSN settings of an organization's keys (one option read). */
export async function loadDsnSettings(stores: Pick<Stores, 'organizationOptions'>, organizationId: number): Promise<DsnSettings> {
  const relay = await stores.organizationOptions.get(organizationId, RELAY_DSN_ENDPOINT_OPTION);
  return { organizationId, relayDsnEndpoint: typeof relay === 'string' && relay !== '' ? relay : null };
}

export interface DsnUrls {
  /** PUBLIC_URL: Sentry's `system.url-prefix`. */
  publicUrl: string;
  /** INGEST_URL: Sentry's SENTRY_PUBLIC_ENDPOINT; PUBLIC_URL when unset. */
  ingestUrl?: string;
  /** INGEST_ORG_SUBDOMAINS. */
  orgSubdomains?: boolean;
  /** Sentry's JS_SDK_LOADER_CDN_URL: empty for this server's own loader route. */
  cdnUrl?: string;
}

type SerializeOptions = { includeUseCase: boolean; now?: number; dsn?: DsnSettings };

/** A URL's base split as get_dsn uses it: scheme, then netloc and path. */
interface Endpoint {
  base: string;
  scheme: string;
  hostAndPath: string;
}

function endpoint(url: string): Endpoint {
  const parsed = new URL(url);
  const path = parsed.pathname.replace(/\/+$/, '');
  return { base: `${parsed.protocol}//${parsed.host}${path}`, scheme: parsed.protocol.slice(0, -1), hostAndPath: `${parsed.host}${path}` };
}

/**
 * SENTRY_ORG_SUBDOMAIN_TEMPLATE applied to a base: the organization's id before the host. An IP
 * address has no subdomains and is left as it is (PUBLIC_URL may be one; config.ts refuses one
 * in the ingest URL when INGEST_ORG_SUBDOMAINS is on).
 */
function withOrgSubdomain(base: Endpoint, organizationId: number): Endpoint {
  const url = new URL(base.base);
  if (isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0) return base;
  url.hostname = `o${organizationId}.${url.hostname}`;
  return endpoint(url.toString());
}

function sameDsn(a: DsnSettings, b: DsnSettings): boolean {
  return a.organizationId === b.organizationId && a.relayDsnEndpoint === b.relayDsnEndpoint;
}

/** Every column equal: the answer built from one row is the answer of the other. */
function sameRow(a: ProjectKeyRow, b: ProjectKeyRow): boolean {
  for (const column in a) if (a[column as keyof ProjectKeyRow] !== b[column as keyof ProjectKeyRow]) return false;
  return true;
}

export class KeySerializer {
  private readonly parsedData = new Map<string, KeyData>();
  /** By key id, least recently answered first. */
  private readonly answers = new Map<number, CachedAnswer>();
  private readonly publicEndpoint: Endpoint;
  private readonly privateEndpoint: Endpoint;
  private readonly orgSubdomains: boolean;
  private readonly cdnUrl: string;

  /** A PUBLIC_URL alone (and optionally JS_SDK_LOADER_CDN_URL), or every URL setting. */
  constructor(urls: string | DsnUrls, cdnUrl = '') {
    const settings = typeof urls === 'string' ? { publicUrl: urls, cdnUrl } : urls;
    this.privateEndpoint = endpoint(settings.publicUrl);
    this.publicEndpoint = endpoint(settings.ingestUrl ?? settings.publicUrl);
    this.orgSubdomains = settings.orgSubdomains ?? false;
    this.cdnUrl = settings.cdnUrl ?? '';
  }

  /**
   * `get_endpoint(public)`: the organization's Relay, as it is, when it set one; else INGEST_URL
   * (public) or PUBLIC_URL (private), with the organization's subdomain when those are on.
   */
  private endpointFor(dsn: DsnSettings, isPublic: boolean): Endpoint {
    if (dsn.relayDsnEndpoint) return endpoint(dsn.relayDsnEndpoint);
    return this.canonical(dsn, isPublic);
  }

  private canonical(dsn: DsnSettings, isPublic: boolean): Endpoint {
    const base = isPublic ? this.publicEndpoint : this.privateEndpoint;
    if (!this.orgSubdomains) return base;
    if (dsn.organizationId === null) throw new Error('INGEST_ORG_SUBDOMAINS needs the organization of the key');
    return withOrgSubdomain(base, dsn.organizationId);
  }

  /** The public DSN, as SDKs are configured with it (and the JS SDK loader passes it on). */
  publicDsn(publicKey: string, projectId: number, dsn: DsnSettings = NO_ORGANIZATION): string {
    const { scheme, hostAndPath } = this.endpointFor(dsn, true);
    return `${scheme}://${publicKey}@${hostAndPath}/${projectId}`;
  }

  /**
   * The key as an API answer: `serialize`'s object, frozen, with its JSON bytes. A key answered
   * again unchanged (every column, its activity and the caller's view the same) is not rebuilt:
   * clients ask for the same first pages over and over, and building and encoding ~1.6 KB per key
   * is most of a page's cost (BENCHMARKS.md).
   */
  answer(row: ProjectKeyRow, options: SerializeOptions): Readonly<ProjectKeyJson> {
    const now = options.now ?? Date.now();
    const isActive = isKeyActive(row, now);
    const dsn = options.dsn ?? NO_ORGANIZATION;
    const cached = this.answers.get(row.id);
    if (cached) {
      this.answers.delete(row.id);
      if (cached.isActive === isActive && cached.includeUseCase === options.includeUseCase && sameDsn(cached.dsn, dsn) && sameRow(cached.row, row)) {
        this.answers.set(row.id, cached);
        return cached.json;
      }
    } else if (this.answers.size >= ANSWER_CACHE_SIZE) {
      this.answers.delete(this.answers.keys().next().value as number);
    }
    const json = withJsonBytes(this.serialize(row, { includeUseCase: options.includeUseCase, now, dsn }));
    this.answers.set(row.id, { row: { ...row }, isActive, includeUseCase: options.includeUseCase, dsn, json });
    return json;
  }

  /** The key as the API shows it, built afresh (exports and the CLI, which read each key once). */
  serialize(row: ProjectKeyRow, options: SerializeOptions): ProjectKeyJson {
    const data = this.keyData(row.data);
    const loader = data.dynamicSdkLoaderOptions ?? {};
    const name = row.label || row.public_key.slice(0, 14) || '';
    const sentry = {
      id: row.public_key,
      name,
      label: name,
      public: row.public_key,
      secret: row.secret_key,
      projectId: row.project_id,
      isActive: isKeyActive(row, options.now ?? Date.now()),
      rateLimit: rateLimitAnswer(row),
      dsn: this.dsn(row.public_key, row.secret_key, row.project_id, options.dsn ?? NO_ORGANIZATION),
      browserSdkVersion: data.browserSdkVersion || DEFAULT_BROWSER_SDK_VERSION,
      browserSdk: BROWSER_SDK,
      dateCreated: row.date_added,
      dynamicSdkLoaderOptions: {
        hasReplay: loader.hasReplay ?? false,
        hasPerformance: loader.hasPerformance ?? false,
        hasDebug: loader.hasDebug ?? false,
        hasFeedback: loader.hasFeedback ?? false,
        hasLogsAndMetrics: loader.hasLogsAndMetrics ?? false,
      },
    };
    return {
      ...sentry,
      ...(options.includeUseCase ? { useCase: row.use_case } : {}),
      // clientkeys' own fields come after all of Sentry's, so Sentry's clients see Sentry's object first.
      dateExpires: row.expires_at,
      replacedBy: row.replaced_by,
      replaces: row.replaces,
      ...policyFields(row.policy),
    };
  }

  private keyData(json: string): Readonly<KeyData> {
    let data = this.parsedData.get(json);
    if (!data) {
      if (this.parsedData.size >= DATA_MEMO_SIZE) this.parsedData.clear();
      data = parseKeyData(json);
      this.parsedData.set(json, data);
    }
    return data;
  }

  private dsn(pk: string, sk: string, pid: number, settings: DsnSettings): ProjectKeyJson['dsn'] {
    const secret = this.endpointFor(settings, false);
    const api = `${this.endpointFor(settings, true).base}/api/${pid}`;
    // The JS SDK loader is served by this server (or the CDN), never by an organization's Relay.
    const loader = this.canonical(settings, true).base;
    return {
      secret: `${secret.scheme}://${pk}:${sk}@${secret.hostAndPath}/${pid}`,
      public: this.publicDsn(pk, pid, settings),
      csp: `${api}/csp-report/?sentry_key=${pk}`,
      security: `${api}/security/?sentry_key=${pk}`,
      minidump: `${api}/minidump/?sentry_key=${pk}`,
      nel: `${api}/nel/?sentry_key=${pk}`,
      unreal: `${api}/unreal/${pk}/`,
      crons: `${api}/cron/___MONITOR_SLUG___/${pk}/`,
      cdn: this.cdnUrl ? `${this.cdnUrl}${pk}.min.js` : `${loader}/js-sdk-loader/${pk}.min.js`,
      playstation: `${api}/playstation/?sentry_key=${pk}`,
      integration: `${api}/integration/`,
      otlp_traces: `${api}/integration/otlp/v1/traces`,
      otlp_logs: `${api}/integration/otlp/v1/logs`,
    };
  }
}
