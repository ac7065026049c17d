/**
 * Sentry's project serializers (S:src/sentry/api/serializers/models/project.py), fed from
 * clientkeys' tables. clientkeys receives no events, so every "has seen X" flag is false,
 * `firstEvent` null and the lists of seen platforms and environments empty: true statements
 * about a project that has sent nothing here.
 */
import { KEY_DEFAULTS_OPTION, parseKeyDefaults } from '../../domain/key-defaults.ts';
import { upstreamRef } from '../upstreams.ts';

/** A project's key defaults as the API shows them: every field, empty when unset. */
function keyDefaultsAnswer(stored: unknown) {
  const { rateLimit, policy } = parseKeyDefaults(stored);
  return { rateLimit, ...policy, quotas: policy.quotas.map((q) => ({ categories: [...q.categories], count: q.count, window: q.window })) };
}
import { randomBytes } from 'node:crypto';
import { hashedColor } from '../../domain/colors.ts';
import { ANY_ORIGIN } from '../../domain/origins.ts';
import { MOBILE_PLATFORMS } from '../../domain/platforms.ts';
import type { DetailedProjectJson, ProjectJson, ProjectSummaryJson } from '../../schemas/project.ts';
import type { ProjectRow, TeamRow } from '../../storage/schema.ts';
import type { Stores } from '../../storage/stores/index.ts';
import type { ProjectOptions } from '../../storage/stores/project-options.ts';
import { PROJECT_STATUS_ACTIVE } from '../../storage/stores/projects.ts';
import { projectAccess, type Viewer } from './viewer.ts';

/** STATUS_LABELS: active, else "deleted" for the deletion states. */
function statusLabel(status: number): string {
  return status === PROJECT_STATUS_ACTIVE ? 'active' : 'deleted';
}

/** Sentry's project option defaults (S:src/sentry/projectoptions/defaults.py, latest epoch). */
export const PROJECT_DEFAULTS = {
  groupingConfig: 'newstyle:2023-01-11',
  builtinSymbolSources: ['ios', 'microsoft', 'android', 'nuget'],
  subjectPrefix: '[Sentry]',
  subjectTemplate: '$shortID - $title',
  digestsMinDelay: 300,
  digestsMaxDelay: 1800,
  autofixAutomationTuning: 'off',
} as const;

/** get_highlight_preset_for_project (S:src/sentry/issues/highlights.py). */
function highlightPreset(platform: string | null): { tags: string[]; context: Record<string, string[]> } {
  if (platform && MOBILE_PLATFORMS.has(platform)) {
    return {
      tags: ['handled', 'level', 'mobile', 'main_thread'],
      context: { trace: ['trace_id'], profile: ['profile_id'], app: ['name'] },
    };
  }
  return { tags: ['handled', 'level', 'url'], context: { trace: ['trace_id'] } };
}

const teamRef = (t: TeamRow) => ({ id: String(t.id), slug: t.slug, name: t.name });

const NO_EVENTS = {
  hasMinifiedStackTrace: false,
  hasMonitors: false,
  hasProfiles: false,
  hasReplays: false,
  hasFeedbacks: false,
  hasFlags: false,
  hasNewFeedbacks: false,
  hasSessions: false,
  hasInsightsHttp: false,
  hasInsightsDb: false,
  hasInsightsAssets: false,
  hasInsightsAppStart: false,
  hasInsightsScreenLoad: false,
  hasInsightsVitals: false,
  hasInsightsCaches: false,
  hasInsightsQueues: false,
  hasInsightsAgentMonitoring: false,
  hasInsightsMCP: false,
  hasLogs: false,
  hasTraceMetrics: false,
};

interface Attrs {
  teams: TeamRow[];
  isBookmarked: boolean;
  isMember: boolean;
  hasAccess: boolean;
  access: string[];
}

export class ProjectSerializer {
  constructor(private readonly stores: Stores) {}

  private async attrs(projects: readonly ProjectRow[], viewer: Viewer): Promise<Map<number, Attrs>> {
    const ids = projects.map((p) => p.id);
    const teams = await this.stores.teams.ofProjects(ids);
    const bookmarks = viewer.userId === null ? new Set<number>() : await this.stores.projectBookmarks.bookmarkedBy(viewer.userId, ids);
    const result = new Map<number, Attrs>();
    for (const project of projects) {
      const projectTeams = teams.get(project.id) ?? [];
      const access = projectAccess(viewer, projectTeams.map((t) => t.id));
      result.set(project.id, { teams: projectTeams, isBookmarked: bookmarks.has(project.id), ...access });
    }
    return result;
  }

  private baseFields(project: ProjectRow, attrs: Attrs) {
    return {
      id: String(project.id),
      slug: project.slug,
      name: project.name,
      platform: project.platform,
      dateCreated: project.date_created,
      isBookmarked: attrs.isBookmarked,
      isMember: attrs.isMember,
      features: [] as string[],
      firstEvent: null,
      firstTransactionEvent: false,
      access: attrs.access,
      hasAccess: attrs.hasAccess,
      ...NO_EVENTS,
    };
  }

  private projectFields(project: ProjectRow) {
    return {
      isInternal: false,
      isPublic: false,
      avatar: { avatarType: 'letter_avatar', avatarUuid: null },
      color: hashedColor(project.slug),
      status: statusLabel(project.status),
    };
  }

  /** ProjectSerializer: a team's projects. */
  async base(projects: readonly ProjectRow[], viewer: Viewer): Promise<ProjectJson[]> {
    const attrs = await this.attrs(projects, viewer);
    return projects.map((p) => {
      const a = attrs.get(p.id) as Attrs;
      return { ...this.baseFields(p, a), ...this.projectFields(p) };
    });
  }

  /** ProjectSummarySerializer: lists of an organization's projects, and a created project. */
  async summary(projects: readonly ProjectRow[], viewer: Viewer, options: { latestDeploys: boolean }): Promise<ProjectSummaryJson[]> {
    const attrs = await this.attrs(projects, viewer);
    return projects.map((p) => {
      const a = attrs.get(p.id) as Attrs;
      const teams = a.teams.map(teamRef);
      return {
        team: teams[0] ?? null,
        teams,
        ...this.baseFields(p, a),
        environments: [],
        eventProcessing: { symbolicationDegraded: false },
        platforms: [],
        latestRelease: null,
        hasUserReports: false,
        ...(options.latestDeploys ? { latestDeploys: null } : {}),
      };
    });
  }

  /** DetailedProjectSerializer: one project with its settings and organization. */
  async detailed(project: ProjectRow, viewer: Viewer, organization: Record<string, unknown>): Promise<DetailedProjectJson> {
    const a = (await this.attrs([project], viewer)).get(project.id) as Attrs;
    const options = (await this.stores.projectOptions.forProjects([project.id])).get(project.id) ?? {};
    const teams = a.teams.map(teamRef);
    const preset = highlightPreset(project.platform);
    return {
      ...this.baseFields(project, a),
      ...this.projectFields(project),
      ...(teams[0] ? { team: teams[0] } : {}),
      teams,
      latestRelease: null,
      options: { ...FORMATTED_OPTION_DEFAULTS },
      digestsMinDelay: num(options['digests:mail:minimum_delay'], PROJECT_DEFAULTS.digestsMinDelay),
      digestsMaxDelay: num(options['digests:mail:maximum_delay'], PROJECT_DEFAULTS.digestsMaxDelay),
      subjectPrefix: str(options['mail:subject_prefix'], PROJECT_DEFAULTS.subjectPrefix),
      allowedDomains: strings(options['sentry:origins']) ?? [...ANY_ORIGIN],
      resolveAge: num(options['sentry:resolve_age'], 0),
      dataScrubber: true,
      dataScrubberDefaults: true,
      safeFields: [],
      storeCrashReports: null,
      sensitiveFields: [],
      subjectTemplate: str(options['mail:subject_template'], '') || PROJECT_DEFAULTS.subjectTemplate,
      securityToken: await this.securityToken(project, options),
      securityTokenHeader: null,
      verifySSL: false,
      scrubIPAddresses: false,
      scrapeJavaScript: true,
      highlightTags: strings(options['sentry:highlight_tags']) ?? preset.tags,
      highlightContext: (options['sentry:highlight_context'] as Record<string, string[]> | undefined) ?? preset.context,
      highlightPreset: preset,
      groupingConfig: PROJECT_DEFAULTS.groupingConfig,
      groupingEnhancements: '',
      derivedGroupingEnhancements: '',
      secondaryGroupingExpiry: 0,
      secondaryGroupingConfig: null,
      fingerprintingRules: '',
      organization,
      plugins: [],
      platforms: [],
      processingIssues: 0,
      defaultEnvironment: null,
      relayPiiConfig: null,
      builtinSymbolSources: [...PROJECT_DEFAULTS.builtinSymbolSources],
      dynamicSamplingBiases: null,
      eventProcessing: { symbolicationDegraded: false },
      symbolSources: '[]',
      isDynamicallySampled: false,
      tempestFetchScreenshots: false,
      autofixAutomationTuning: PROJECT_DEFAULTS.autofixAutomationTuning,
      seerScannerAutomation: true,
      debugFilesRole: null,
      upstream: upstreamRef(project.upstream_dsn),
      keyDefaults: keyDefaultsAnswer(options[KEY_DEFAULTS_OPTION]),
    };
  }

  /** `Project.get_security_token`: made on first need and kept (as Sentry does). */
  private async securityToken(project: ProjectRow, options: ProjectOptions): Promise<string> {
    const stored = options['sentry:token'];
    if (typeof stored === 'string' && stored) return stored;
    const token = randomBytes(16).toString('hex');
    await this.stores.projectOptions.set(project.id, 'sentry:token', token);
    return token;
  }
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

function str(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}

/**
 * DetailedProjectSerializer.format_options with every option at its default: none of these
 * (inbound filters, feedback, replay) can be changed through clientkeys.
 */
const FORMATTED_OPTION_DEFAULTS: Readonly<Record<string, unknown>> = {
  'sentry:csp_ignored_sources_defaults': true,
  'sentry:csp_ignored_sources': '',
  'filters:blacklisted_ips': '',
  'filters:react-hydration-errors': true,
  'filters:chunk-load-error': true,
  'filters:releases': '',
  'filters:error_messages': '',
  'feedback:branding': true,
  'sentry:feedback_user_report_notifications': true,
  'sentry:feedback_ai_spam_detection': true,
  'sentry:replay_rage_click_issues': true,
  'sentry:replay_hydration_error_issues': true,
  'sentry:toolbar_allowed_origins': '',
  'quotas:spike-protection-disabled': null,
};
