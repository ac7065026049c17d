import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.ts';
import type { DB } from '../schema.ts';
import { DeliveryStore } from './deliveries.ts';
import { KeyHealthStore } from './key-health.ts';
import { UpstreamStatsStore } from './upstream-stats.ts';
import { AuditLogStore } from './audit-log.ts';
import { KeyStatsStore } from './key-stats.ts';
import { RateLimitCounterStore } from './rate-limit-counters.ts';
import { RecentEventStore } from './recent-events.ts';
import { CredentialStore } from './credentials.ts';
import { MemberStore } from './members.ts';
import { OrganizationOptionStore } from './organization-options.ts';
import { OrganizationStore } from './organizations.ts';
import { ProjectBookmarkStore } from './project-bookmarks.ts';
import { ProjectKeyStore } from './project-keys.ts';
import { ProjectOptionStore } from './project-options.ts';
import { ProjectRedirectStore } from './project-redirects.ts';
import { ProjectStore } from './projects.ts';
import { SessionStore } from './sessions.ts';
import { SignInAttemptStore } from './signin-attempts.ts';
import { TeamStore } from './teams.ts';
import { UserStore } from './users.ts';

export interface Stores {
  organizations: OrganizationStore;
  teams: TeamStore;
  projects: ProjectStore;
  projectOptions: ProjectOptionStore;
  organizationOptions: OrganizationOptionStore;
  projectRedirects: ProjectRedirectStore;
  projectBookmarks: ProjectBookmarkStore;
  users: UserStore;
  members: MemberStore;
  credentials: CredentialStore;
  projectKeys: ProjectKeyStore;
  auditLog: AuditLogStore;
  keyStats: KeyStatsStore;
  rateLimitCounters: RateLimitCounterStore;
  recentEvents: RecentEventStore;
  sessions: SessionStore;
  signInAttempts: SignInAttemptStore;
  deliveries: DeliveryStore;
  upstreamStats: UpstreamStatsStore;
  keyHealth: KeyHealthStore;
}

/** The stores over one executor: the database itself, or a transaction. */
export function createStores(db: Kysely<DB>, dialect: Dialect): Stores {
  return {
    organizations: new OrganizationStore(db),
    teams: new TeamStore(db),
    projects: new ProjectStore(db),
    projectOptions: new ProjectOptionStore(db),
    organizationOptions: new OrganizationOptionStore(db),
    projectRedirects: new ProjectRedirectStore(db),
    projectBookmarks: new ProjectBookmarkStore(db),
    users: new UserStore(db),
    members: new MemberStore(db),
    credentials: new CredentialStore(db),
    projectKeys: new ProjectKeyStore(db),
    auditLog: new AuditLogStore(db),
    keyStats: new KeyStatsStore(db),
    rateLimitCounters: new RateLimitCounterStore(db),
    recentEvents: new RecentEventStore(db),
    sessions: new SessionStore(db),
    signInAttempts: new SignInAttemptStore(db),
    deliveries: new DeliveryStore(db, dialect),
    upstreamStats: new UpstreamStatsStore(db),
    keyHealth: new KeyHealthStore(db),
  };
}
