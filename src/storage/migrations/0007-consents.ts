import type { Kysely } from 'kysely';

/**
 * Consents and preferences (owned by modules/consents). `consent_history` is append-only: rows
 * are never updated, and deleted only when the person is erased. `consent_current` holds each
 * data point's newest record, written in the same transaction as the history row it copies
 * (`history_id`). `consent_policies` lists each purpose's published policy versions.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run below the typed schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('consent_history')
    // UUIDv7: the order of the ids is the order in which entries were recorded.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    // `consent` or `preference`.
    .addColumn('kind', 'text', (c) => c.notNull())
    // Consent: purpose; preference: topic.
    .addColumn('subject', 'text', (c) => c.notNull())
    // Consent: attachment key (`person`, `contact:email:…`); preference: channel.
    .addColumn('target', 'text', (c) => c.notNull())
    // `set` or `lapsed`.
    .addColumn('change', 'text', (c) => c.notNull())
    // When the change took effect (a lapse: the expiry instant).
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('recorded_at', 'bigint', (c) => c.notNull())
    // JSON: the data point's record after the change.
    .addColumn('record', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('consent_history_profile')
    .on('consent_history')
    .columns(['profile_id', 'kind', 'id'])
    .execute();

  await db.schema
    .createTable('consent_current')
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    // The history entry this row copies: only a newer entry may replace it.
    .addColumn('history_id', 'text', (c) => c.notNull())
    .addColumn('record', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('consent_current_pk', ['profile_id', 'kind', 'subject', 'target'])
    .execute();

  await db.schema
    .createTable('consent_policies')
    // UUIDv7: the newest id of a purpose is its current version.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('published_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('consent_policies_version')
    .on('consent_policies')
    .columns(['environment_id', 'purpose', 'version'])
    .unique()
    .execute();
}
