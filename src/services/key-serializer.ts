/**
 * Sentry's ProjectKeySerializer (S:src/sentry/api/serializers/models/project_key.py): a stored key
 * as the API shows it, with the DSN URLs built from PUBLIC_URL (Sentry's `system.url-prefix`).
 */
import {
  AVAILABLE_BROWSER_SDK_VERSIONS,
  DEFAULT_BROWSER_SDK_VERSION,
  KEY_STATUS,
  type KeyData,
} from '../domain/keys.ts';
import { withJsonBytes } from '../schemas/built-by-serializers.ts';
import type { ProjectKeyJson } from '../schemas/project-key.ts';
import type { ProjectKeyRow } from '../storage/schema.ts';

const BROWSER_SDK = { choices: AVAILABLE_BROWSER_SDK_VERSIONS.map((v): [string, string] => [v, v]) };

export function parseKeyData(json: string): KeyData {
  try {
    const value: unknown = JSON.parse(json);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as KeyData) : {};
  } catch {
    return {};
  }
}

/** Active: enabled, and not past the end of a rotation's overlap (stored or not yet swept). */
export function isKeyActive(row: Pick<ProjectKeyRow, 'status' | 'expires_at'>, now: number): boolean {
  return row.status === KEY_STATUS.active && (row.expires_at === null || Date.parse(row.expires_at) > now);
}

/** Most keys share a handful of loader settings: parse each distinct text once, not once per key and request. */
const DATA_MEMO_SIZE = 256;

/** The answers kept with their JSON bytes (about 3 KB each): twenty pages of 100 keys. */
const ANSWER_CACHE_SIZE = 2048;

interface CachedAnswer {
  row: ProjectKeyRow;
  isActive: boolean;
  includeUseCase: boolean;
  json: Readonly<ProjectKeyJson>;
}

type SerializeOptions = { includeUseCase: boolean; now?: number };

/** Every column equal: the answer built from one row is the answer of the other. */
function sameRow(a: ProjectKeyRow, b: ProjectKeyRow): boolean {
  for (const column in a) if (a[column as keyof ProjectKeyRow] !== b[column as keyof ProjectKeyRow]) return false;
  return true;
}

export class KeySerializer {
  private readonly parsedData = new Map<string, KeyData>();
  /** By key id, least recently answered first. */
  private readonly answers = new Map<number, CachedAnswer>();
  private readonly endpoint: string;
  private readonly scheme: string;
  private readonly hostAndPath: string;

  /** `cdnUrl`: Sentry's JS_SDK_LOADER_CDN_URL; empty for this server's own loader route. */
  constructor(
    publicUrl: string,
    private readonly cdnUrl = '',
  ) {
    const url = new URL(publicUrl);
    this.endpoint = publicUrl.replace(/\/+$/, '');
    this.scheme = url.protocol.slice(0, -1);
    this.hostAndPath = `${url.host}${url.pathname.replace(/\/+$/, '')}`;
  }

  /** The public DSN, as SDKs are configured with it. */
  publicDsn(publicKey: string, projectId: number): string {
    return `${this.scheme}://${publicKey}@${this.hostAndPath}/${projectId}`;
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
    const cached = this.answers.get(row.id);
    if (cached) {
      this.answers.delete(row.id);
      if (cached.isActive === isActive && cached.includeUseCase === options.includeUseCase && sameRow(cached.row, row)) {
        this.answers.set(row.id, cached);
        return cached.json;
      }
    } else if (this.answers.size >= ANSWER_CACHE_SIZE) {
      this.answers.delete(this.answers.keys().next().value as number);
    }
    const json = withJsonBytes(this.serialize(row, { includeUseCase: options.includeUseCase, now }));
    this.answers.set(row.id, { row: { ...row }, isActive, includeUseCase: options.includeUseCase, json });
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
      rateLimit:
        row.rate_limit_window && row.rate_limit_count
          ? { window: row.rate_limit_window, count: row.rate_limit_count }
          : null,
      dsn: this.dsn(row.public_key, row.secret_key, row.project_id),
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

  private dsn(pk: string, sk: string, pid: number): ProjectKeyJson['dsn'] {
    const api = `${this.endpoint}/api/${pid}`;
    return {
      secret: `${this.scheme}://${pk}:${sk}@${this.hostAndPath}/${pid}`,
      public: this.publicDsn(pk, pid),
      csp: `${api}/csp-report/?sentry_key=${pk}`,
      security: `${api}/security/?sentry_key=${pk}`,
      minidump: `${api}/minidump/?sentry_key=${pk}`,
      nel: `${api}/nel/?sentry_key=${pk}`,
      unreal: `${api}/unreal/${pk}/`,
      crons: `${api}/cron/___MONITOR_SLUG___/${pk}/`,
      cdn: this.cdnUrl ? `${this.cdnUrl}${pk}.min.js` : `${this.endpoint}/js-sdk-loader/${pk}.min.js`,
      playstation: `${api}/playstation/?sentry_key=${pk}`,
      integration: `${api}/integration/`,
      otlp_traces: `${api}/integration/otlp/v1/traces`,
      otlp_logs: `${api}/integration/otlp/v1/logs`,
    };
  }
}
