/**
 * The database as Kysely sees it. One schema for SQLite and PostgreSQL: timestamps are ISO-8601
 * text, booleans are 0/1 integers, JSON is text, so both dialects return the same values.
 * `Generated<T>` marks a column the database fills in (an id, or a default): optional on insert.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Id = Generated<number>;

export interface OrganizationTable {
  id: Id;
  slug: string;
  name: string;
  /** ObjectStatus: 0 active, 2 pending deletion. */
  status: Generated<number>;
  /** `flags.allow_joinleave`: any member may access every project. */
  open_membership: Generated<number>;
  date_created: string;
}

export interface TeamTable {
  id: Id;
  organization_id: number;
  slug: string;
  name: string;
  status: Generated<number>;
  date_created: string;
}

export interface ProjectTable {
  id: Id;
  organization_id: number;
  slug: string;
  name: string;
  platform: string | null;
  status: Generated<number>;
  date_created: string;
  /** The backend's DSN, key included (gateway mode); never in an API answer. */
  upstream_dsn: Generated<string | null>;
}

export interface ProjectTeamTable {
  project_id: number;
  team_id: number;
}

/** Sentry's ProjectOption: one JSON value per project and key ("mail:subject_prefix", "sentry:token"…). */
export interface ProjectOptionTable {
  project_id: number;
  key: string;
  value: string;
}

/** Sentry's OrganizationOption: one JSON value per organization and key ("sentry:relay_dsn_endpoint"). */
export interface OrganizationOptionTable {
  organization_id: number;
  key: string;
  value: string;
}

/** Sentry's ProjectRedirect: an old slug of a renamed project, within its organization. */
export interface ProjectRedirectTable {
  id: Id;
  organization_id: number;
  project_id: number;
  redirect_slug: string;
  date_added: string;
}

export interface ProjectBookmarkTable {
  project_id: number;
  user_id: number;
  date_added: string;
}

export interface UserTable {
  id: Id;
  email: string;
  name: string;
  /** scrypt hash, or null when the user has no password sign-in. */
  password_hash: string | null;
  is_superuser: Generated<number>;
  is_active: Generated<number>;
  date_joined: string;
}

export interface MemberTable {
  id: Id;
  organization_id: number;
  user_id: number;
  role: string;
  date_created: string;
}

export interface TeamMemberTable {
  team_id: number;
  member_id: number;
  /** Team role ("contributor" | "admin"), or null for the org role's minimum. */
  role: string | null;
}

export interface ApiTokenTable {
  id: Id;
  user_id: number;
  name: string | null;
  hashed_token: string;
  token_last_characters: string;
  /** JSON array of scopes. */
  scopes: string;
  date_created: string;
  expires_at: string | null;
}

export interface OrgAuthTokenTable {
  id: Id;
  organization_id: number;
  name: string;
  token_hashed: string;
  token_last_characters: string;
  scopes: string;
  date_created: string;
  date_deactivated: string | null;
  expires_at: Generated<string | null>;
}

export interface ApiKeyTable {
  id: Id;
  organization_id: number;
  label: string;
  key_hashed: string;
  key_last_characters: string;
  scopes: string;
  /** 0 active, 1 inactive. */
  status: Generated<number>;
  /** Newline-separated origins allowed to use the key from a browser; "*" for any. */
  allowed_origins: string | null;
  date_created: string;
  expires_at: Generated<string | null>;
}

export interface ProjectKeyTable {
  id: Id;
  project_id: number;
  label: string;
  public_key: string;
  secret_key: string;
  roles: Generated<number>;
  status: Generated<number>;
  date_added: string;
  rate_limit_count: number | null;
  rate_limit_window: number | null;
  /** JSON: browserSdkVersion, dynamicSdkLoaderOptions. */
  data: string;
  use_case: string;
  /** When the key stops being accepted (the end of a rotation's overlap), or null. */
  expires_at: Generated<string | null>;
  /** The public key of the key that replaces this one. */
  replaced_by: Generated<string | null>;
  /** The public key of the key this one replaces. */
  replaces: Generated<string | null>;
  /** JSON KeyPolicy (quotas, IP and origin rules), or null for none. */
  policy: Generated<string | null>;
}

export interface AuditLogTable {
  id: Id;
  organization_id: number;
  actor_user_id: number | null;
  actor_key_id: number | null;
  /** A readable name of who acted (email, "api key 1234", "cli"). */
  actor_label: string;
  ip_address: string | null;
  event: string;
  target_object: number | null;
  /** JSON: the entry's data, never a secret. */
  data: string;
  datetime: string;
}

export interface KeyStatsTable {
  key_id: number;
  /** Bucket length in seconds: 10 or 3600. */
  rollup: number;
  /** Bucket start, unix seconds. */
  ts: number;
  accepted: Generated<number>;
  dropped: Generated<number>;
  filtered: Generated<number>;
}

export interface RateLimitCounterTable {
  /** The quota's identity, e.g. "k:12:60" (key 12, 60 s window). */
  quota: string;
  /** The fixed window's number. */
  slot: number;
  used: number;
  /** Unix seconds after which the row is stale. */
  expires_at: number;
}

export interface RecentEventTable {
  id: Id;
  project_id: number;
  public_key: string;
  event_id: string | null;
  received_at: string;
  /** The ingest endpoint: envelope, store, security, minidump… */
  endpoint: string;
  /** JSON array of the envelope's item types. */
  item_types: string;
  size: number;
  sdk: string | null;
  platform: string | null;
  level: string | null;
  title: string | null;
}

/** A signed-in browser. The cookie holds the token; only its SHA-256 is kept, and the CSRF token's. */
export interface SessionTable {
  id: Id;
  token_hash: string;
  csrf_hash: string;
  user_id: number;
  ip_address: string | null;
  date_created: string;
  expires_at: string;
}

/** Sign-in attempts per key ("email:<sha256>", "ip:<address>") in a fixed window. */
export interface SignInAttemptTable {
  key: string;
  count: number;
  window_end: string;
}

/** pg returns int8 as a string. */
type BigInt8 = ColumnType<number | string, number, number>;
/** An int8 column with a default in the database. */
type DefaultedBigInt8 = ColumnType<number | string, number | undefined, number>;

export interface DeliveryTable {
  id: Generated<number | string>;
  project_id: number;
  upstream: string;
  url: string;
  method: string;
  /** JSON object. */
  headers: string;
  body: Buffer | null;
  size: number;
  event_id: string | null;
  created_at: BigInt8;
  attempts: Generated<number>;
  next_attempt_at: BigInt8;
  lease_until: ColumnType<number | string | null, number | null | undefined, number | null>;
}

export interface UpstreamStatsTable {
  project_id: number;
  delivered: DefaultedBigInt8;
  refused: DefaultedBigInt8;
  rate_limited: DefaultedBigInt8;
  last_delivered_at: string | null;
  last_error_status: number | null;
  last_error_reason: string | null;
  last_error_at: string | null;
}

export interface KeyRefusalTable {
  key_id: number;
  /** Start of the hour, unix seconds. */
  ts: number;
  reason: string;
  count: BigInt8;
}

export interface KeyDiscardTable {
  key_id: number;
  ts: number;
  reason: string;
  category: string;
  quantity: BigInt8;
}

export interface KeyActivityTable {
  key_id: number;
  last_accepted_at: string | null;
  last_refused_at: string | null;
}

export interface AlertMarkTable {
  mark: string;
  until: BigInt8;
}

export interface DB {
  organizations: OrganizationTable;
  teams: TeamTable;
  projects: ProjectTable;
  project_teams: ProjectTeamTable;
  project_options: ProjectOptionTable;
  organization_options: OrganizationOptionTable;
  project_redirects: ProjectRedirectTable;
  project_bookmarks: ProjectBookmarkTable;
  users: UserTable;
  members: MemberTable;
  team_members: TeamMemberTable;
  api_tokens: ApiTokenTable;
  org_auth_tokens: OrgAuthTokenTable;
  api_keys: ApiKeyTable;
  project_keys: ProjectKeyTable;
  audit_log_entries: AuditLogTable;
  key_stats: KeyStatsTable;
  rate_limit_counters: RateLimitCounterTable;
  recent_events: RecentEventTable;
  sessions: SessionTable;
  signin_attempts: SignInAttemptTable;
  deliveries: DeliveryTable;
  upstream_stats: UpstreamStatsTable;
  key_refusals: KeyRefusalTable;
  key_discards: KeyDiscardTable;
  key_activity: KeyActivityTable;
  alert_marks: AlertMarkTable;
}

export type OrganizationRow = Selectable<OrganizationTable>;
export type TeamRow = Selectable<TeamTable>;
export type ProjectRow = Selectable<ProjectTable>;
export type UserRow = Selectable<UserTable>;
export type MemberRow = Selectable<MemberTable>;
export type ApiTokenRow = Selectable<ApiTokenTable>;
export type OrgAuthTokenRow = Selectable<OrgAuthTokenTable>;
export type ApiKeyRow = Selectable<ApiKeyTable>;
export type ProjectKeyRow = Selectable<ProjectKeyTable>;
export type NewProjectKey = Insertable<ProjectKeyTable>;
export type ProjectKeyUpdate = Updateable<ProjectKeyTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
export type KeyStatsRow = Selectable<KeyStatsTable>;
export type RecentEventRow = Selectable<RecentEventTable>;
export type NewRecentEvent = Insertable<RecentEventTable>;
export type SessionRow = Selectable<SessionTable>;
export type DeliveryRow = Selectable<DeliveryTable>;
export type NewDelivery = Insertable<DeliveryTable>;
export type UpstreamStatsRow = Selectable<UpstreamStatsTable>;
