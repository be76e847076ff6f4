import { type Kysely, sql } from 'kysely';

/** Tenants, API keys, profiles, identifiers, the event store, de-duplication and merges. */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the schema type exists
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('organizations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('environments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
    .addColumn('slug', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('environments_org_slug', ['organization_id', 'slug'])
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('api_keys_env').on('api_keys').column('environment_id').execute();

  await db.schema
    .createTable('profiles')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('merged_into', 'text')
    .execute();
  // Cursor listing of live profiles walks this index in id (= creation time) order.
  await db.schema
    .createIndex('profiles_env_live')
    .on('profiles')
    .columns(['environment_id', 'id'])
    .where(sql.ref('merged_into'), 'is', null)
    .execute();

  await db.schema
    .createTable('profile_identifiers')
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('is_unique', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('profile_identifiers_pk', [
      'environment_id',
      'type',
      'value',
      'profile_id',
    ])
    .execute();
  // anonymousId, userId and customId belong to one profile per environment; email and phone may
  // be shared, so uniqueness is a partial index rather than the primary key.
  await db.schema
    .createIndex('profile_identifiers_unique')
    .on('profile_identifiers')
    .columns(['environment_id', 'type', 'value'])
    .unique()
    .where(sql.ref('is_unique'), '=', 1)
    .execute();
  await db.schema
    .createIndex('profile_identifiers_profile')
    .on('profile_identifiers')
    .column('profile_id')
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('events_profile_time')
    .on('events')
    .columns(['profile_id', 'timestamp', 'id'])
    .execute();

  await db.schema
    .createTable('event_dedupe')
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('event_dedupe_pk', ['environment_id', 'message_id'])
    .execute();
  await db.schema
    .createIndex('event_dedupe_received')
    .on('event_dedupe')
    .column('received_at')
    .execute();

  await db.schema
    .createTable('merges')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('survivor_id', 'text', (c) => c.notNull())
    .addColumn('merged_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('survivor_before', 'text', (c) => c.notNull())
    .addColumn('merged_before', 'text', (c) => c.notNull())
    .addColumn('traits_from_merged', 'text', (c) => c.notNull())
    .addColumn('moved_identifiers', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('undone_at', 'bigint')
    .execute();
  await db.schema.createIndex('merges_survivor').on('merges').column('survivor_id').execute();
  await db.schema.createIndex('merges_merged').on('merges').column('merged_id').execute();
}
