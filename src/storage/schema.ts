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

export interface CredentialsTable {
  id: string;
  environment_id: string;
  /** `api_key`, `write_key`, `oauth_client` or `hmac_user`. */
  kind: string;
  name: string;
  /** OAuth client_id or HMAC user id; null for keys, which carry their secret's id. */
  public_id: string | null;
  /** JSON array of scopes. */
  scopes: string;
  /** JSON: token TTL, HMAC window, rate-limit override. */
  settings: string;
  created_at: number;
  revoked_at: number | null;
}

export interface CredentialSecretsTable {
  id: string;
  credential_id: string;
  /** SHA-256 (hex) of the secret; the secret itself is never stored. */
  secret_hash: string | null;
  /** HMAC private keys only: AES-256-GCM under the master key. */
  secret_encrypted: string | null;
  created_at: number;
  /** When a rotated-out secret stops working (null: no expiry). */
  expires_at: number | null;
}

export interface SurfaceKeysTable {
  /** The dialect (`mypreferences`, `profiles-read`, `profile-command`). */
  surface: string;
  /** The dialect's path key, exactly as it appears in its URLs (case-sensitive). */
  key: string;
  environment_id: string;
  created_at: number;
}

export interface SuppressionsTable {
  environment_id: string;
  /** HMAC-SHA-256 (hex) of `type:value` under a key derived from the master key. */
  identifier_hash: string;
  /** What put it there (`opt-out`, `identified-as-opted-out`). */
  source: string;
  created_at: number;
}

export interface JobsTable {
  id: string;
  environment_id: string;
  kind: string;
  /** JSON. */
  payload: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  attempts: number;
  run_at: number;
  /** While running: when the claim lapses (a crashed worker's job is picked up again). */
  lease_until: number | null;
  last_error: string | null;
  created_at: number;
  finished_at: number | null;
}

export interface DefinitionsTable {
  environment_id: string;
  id: string;
  /** The audience or experience definition as JSON. */
  definition: string;
  status: 'draft' | 'published';
  created_at: number;
  updated_at: number;
}

export interface AudienceEventsTable {
  id: string;
  environment_id: string;
  profile_id: string;
  audience_id: string;
  kind: 'entered' | 'exited';
  at: number;
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

export interface BulkJobsTable {
  id: string;
  environment_id: string;
  kind: 'import' | 'export';
  job_id: string | null;
  /** JSON. */
  options: string;
  /** JSON. */
  progress: string;
  created_at: number;
  updated_at: number;
}

export interface BulkChunksTable {
  job_id: string;
  part: 'input' | 'output';
  seq: number;
  data: string;
}

/** Append-only history of consent and preference changes (modules/consents). */
export interface ConsentHistoryTable {
  id: string;
  environment_id: string;
  profile_id: string;
  kind: 'consent' | 'preference';
  /** Consent: purpose; preference: topic. */
  subject: string;
  /** Consent: attachment key; preference: channel. */
  target: string;
  change: 'set' | 'lapsed';
  at: number;
  recorded_at: number;
  /** JSON: the engine's ConsentRecord or PreferenceRecord after the change. */
  record: string;
}

/** Each consent or preference data point's newest record (a copy of one history row). */
export interface ConsentCurrentTable {
  environment_id: string;
  profile_id: string;
  kind: 'consent' | 'preference';
  subject: string;
  target: string;
  history_id: string;
  record: string;
  updated_at: number;
}

/** Published consent policy versions; a purpose's newest row is its current version. */
export interface ConsentPoliciesTable {
  id: string;
  environment_id: string;
  purpose: string;
  version: string;
  published_at: number;
}

/** A note written about a profile (modules/annotations). */
export interface ProfileNotesTable {
  id: string;
  environment_id: string;
  profile_id: string;
  subject: string | null;
  content: string;
  created_at: number;
  updated_at: number;
}

/** A tag defined in an environment; names are unique per environment. */
export interface TagsTable {
  id: string;
  environment_id: string;
  name: string;
  description: string | null;
  color: string | null;
  created_at: number;
  updated_at: number;
}

/** A tag assigned to a profile. */
export interface ProfileTagsTable {
  profile_id: string;
  tag_id: string;
  environment_id: string;
  assigned_at: number;
}

/** A device linked to a profile; one profile per device and environment. */
export interface LinkedDevicesTable {
  environment_id: string;
  device_id: string;
  profile_id: string;
  type: 'web' | 'ios' | 'android' | 'other';
  push_token: string | null;
  push_channel: 'web-push' | 'mobile-push' | null;
  name: string | null;
  model: string | null;
  os: string | null;
  /** JSON object. */
  attributes: string;
  linked_at: number;
  last_seen_at: number;
}

/** A system or device identifier of a profile (MyPreferences AlternateIds). */
export interface ProfileAlternateIdsTable {
  environment_id: string;
  type: string;
  value: string;
  profile_id: string;
  created_at: number;
}

/** A profile's group membership, or the search index entry of one of its custom fields. */
export interface ProfileLabelsTable {
  profile_id: string;
  kind: 'group' | 'field';
  name: string;
  /** A field's value as text (strings as they are, anything else as JSON); '' for a group. */
  value: string;
  environment_id: string;
  updated_at: number;
}

/** Webhook subscriptions of an environment (modules/webhooks); the secret is sealed. */
export interface WebhookSubscriptionsTable {
  id: string;
  environment_id: string;
  url: string;
  /** JSON array of change event types. */
  event_types: string;
  secret_sealed: string;
  /** 1 or 0 (one type on both engines). */
  enabled: number;
  disabled_reason: string | null;
  created_at: number;
  updated_at: number;
}

/** Changes worth telling subscribers about, written with the change itself. */
export interface ChangeEventsTable {
  id: string;
  environment_id: string;
  type: string;
  profile_id: string | null;
  occurred_at: number;
  /** JSON: ids and what changed, never more personal data than that. */
  payload: string;
}

/** The webhook outbox: one row per change event and subscription. */
export interface WebhookDeliveriesTable {
  id: string;
  environment_id: string;
  subscription_id: string;
  change_event_id: string;
  status: 'pending' | 'succeeded' | 'failed' | 'abandoned';
  attempts: number;
  next_attempt_at: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** Each delivery attempt (the delivery log of a subscription). */
export interface WebhookAttemptsTable {
  id: string;
  environment_id: string;
  subscription_id: string;
  delivery_id: string;
  change_event_id: string;
  event_type: string;
  attempt: number;
  attempted_at: number;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
}

export interface Database {
  organizations: OrganizationsTable;
  environments: EnvironmentsTable;
  credentials: CredentialsTable;
  credential_secrets: CredentialSecretsTable;
  surface_keys: SurfaceKeysTable;
  suppressions: SuppressionsTable;
  jobs: JobsTable;
  audiences: DefinitionsTable;
  experiences: DefinitionsTable;
  audience_events: AudienceEventsTable;
  profiles: ProfilesTable;
  profile_identifiers: ProfileIdentifiersTable;
  events: EventsTable;
  event_dedupe: EventDedupeTable;
  merges: MergesTable;
  bulk_jobs: BulkJobsTable;
  bulk_chunks: BulkChunksTable;
  consent_history: ConsentHistoryTable;
  consent_current: ConsentCurrentTable;
  consent_policies: ConsentPoliciesTable;
  profile_notes: ProfileNotesTable;
  tags: TagsTable;
  profile_tags: ProfileTagsTable;
  linked_devices: LinkedDevicesTable;
  profile_alternate_ids: ProfileAlternateIdsTable;
  profile_labels: ProfileLabelsTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  change_events: ChangeEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}
