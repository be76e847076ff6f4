import type { Generated } from 'kysely';

/**
 * Row types of every table, for Kysely. Times are epoch milliseconds; JSON is stored as text
 * so that one schema runs on SQLite and PostgreSQL alike. Each module owns its tables and is
 * the only one that queries them (see docs/architecture.md).
 */
export interface OrganizationsTable {
  id: string;
  slug: string;
  name: string;
  created_at: number;
}

export interface EnvironmentsTable {
  id: string;
  organization_id: string;
  slug: string;
  name: string;
  settings: string;
  created_at: number;
}

export interface ApiKeysTable {
  id: string;
  environment_id: string;
  name: string;
  /** SHA-256 of the secret part, hex. The secret itself is never stored. */
  secret_hash: string;
  /** JSON array of scopes. */
  scopes: string;
  created_at: number;
  revoked_at: number | null;
}

export interface ProfilesTable {
  id: string;
  environment_id: string;
  /** Optimistic-concurrency version, incremented by every write. */
  version: number;
  /** The profile document (engine ProfileState) as JSON. */
  state: string;
  created_at: number;
  updated_at: number;
  /** Set when this profile was merged away: its ids resolve to this survivor. */
  merged_into: string | null;
}

export interface ProfileIdentifiersTable {
  environment_id: string;
  type: string;
  value: string;
  profile_id: string;
  /** 1 for identifier types owned by at most one profile (partial unique index). */
  is_unique: number;
  created_at: number;
}

export interface EventsTable {
  id: string;
  environment_id: string;
  profile_id: string;
  message_id: string;
  type: string;
  action: string;
  timestamp: number;
  received_at: number;
  /** The canonical event as JSON. */
  body: string;
}

export interface EventDedupeTable {
  environment_id: string;
  message_id: string;
  received_at: number;
}

export interface MergesTable {
  id: string;
  environment_id: string;
  survivor_id: string;
  merged_id: string;
  /** JSON: what triggered the merge (event type, messageId, identifiers). */
  reason: string;
  survivor_before: string;
  merged_before: string;
  /** JSON array of trait keys whose merged value came from the merged profile. */
  traits_from_merged: string;
  /** JSON array of identifiers moved from the merged profile to the survivor. */
  moved_identifiers: string;
  created_at: number;
  undone_at: number | null;
}

export interface SchemaMigrationsTable {
  name: string;
  applied_at: Generated<number>;
}

export interface Database {
  organizations: OrganizationsTable;
  environments: EnvironmentsTable;
  api_keys: ApiKeysTable;
  profiles: ProfilesTable;
  profile_identifiers: ProfileIdentifiersTable;
  events: EventsTable;
  event_dedupe: EventDedupeTable;
  merges: MergesTable;
}
