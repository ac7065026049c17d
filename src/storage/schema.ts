/**
 * The database as Kysely sees it. One schema for SQLite and PostgreSQL: timestamps are ISO-8601
 * text, booleans are 0/1 integers, JSON is text, so both dialects return the same values.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Id = Generated<number>;

export interface OrganizationTable {
  id: Id;
  slug: string;
  name: string;
  /** ObjectStatus: 0 active, 2 pending deletion. */
  status: ColumnType<number, number | undefined, number>;
  /** `flags.allow_joinleave`: any member may access every project. */
  open_membership: ColumnType<number, number | undefined, number>;
  date_created: string;
}

export interface TeamTable {
  id: Id;
  organization_id: number;
  slug: string;
  name: string;
  status: ColumnType<number, number | undefined, number>;
  date_created: string;
}

export interface ProjectTable {
  id: Id;
  organization_id: number;
  slug: string;
  name: string;
  platform: string | null;
  status: ColumnType<number, number | undefined, number>;
  date_created: string;
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
  is_superuser: ColumnType<number, number | undefined, number>;
  is_active: ColumnType<number, number | undefined, number>;
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
  expires_at: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface ApiKeyTable {
  id: Id;
  organization_id: number;
  label: string;
  key_hashed: string;
  key_last_characters: string;
  scopes: string;
  /** 0 active, 1 inactive. */
  status: ColumnType<number, number | undefined, number>;
  /** Newline-separated origins allowed to use the key from a browser; "*" for any. */
  allowed_origins: string | null;
  date_created: string;
  expires_at: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface ProjectKeyTable {
  id: Id;
  project_id: number;
  label: string;
  public_key: string;
  secret_key: string;
  roles: ColumnType<number, number | undefined, number>;
  status: ColumnType<number, number | undefined, number>;
  date_added: string;
  rate_limit_count: number | null;
  rate_limit_window: number | null;
  /** JSON: browserSdkVersion, dynamicSdkLoaderOptions. */
  data: string;
  use_case: string;
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

export interface DB {
  organizations: OrganizationTable;
  teams: TeamTable;
  projects: ProjectTable;
  project_teams: ProjectTeamTable;
  project_options: ProjectOptionTable;
  project_bookmarks: ProjectBookmarkTable;
  users: UserTable;
  members: MemberTable;
  team_members: TeamMemberTable;
  api_tokens: ApiTokenTable;
  org_auth_tokens: OrgAuthTokenTable;
  api_keys: ApiKeyTable;
  project_keys: ProjectKeyTable;
  audit_log_entries: AuditLogTable;
  sessions: SessionTable;
  signin_attempts: SignInAttemptTable;
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
export type SessionRow = Selectable<SessionTable>;
