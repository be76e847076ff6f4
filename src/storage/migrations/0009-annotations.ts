import type { Kysely } from 'kysely';

/**
 * Annotations kept per profile outside the profile document (owned by modules/annotations):
 * notes, tags (defined per environment) with their assignments, and linked devices. They are
 * keyed by the profile id they were written to, never moved on a merge: readers ask for a
 * survivor and the ids merged into it, so an unmerge gives them back untouched. Erasure deletes
 * them by profile id, hence the `profile_id` indexes.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run below the typed schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('profile_notes')
    // UUIDv7: a profile's notes list in creation order by id.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('profile_notes_profile')
    .on('profile_notes')
    .columns(['profile_id', 'id'])
    .execute();

  await db.schema
    .createTable('tags')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('color', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('tags_name')
    .on('tags')
    .columns(['environment_id', 'name'])
    .unique()
    .execute();

  await db.schema
    .createTable('profile_tags')
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('tag_id', 'text', (c) => c.notNull())
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('assigned_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('profile_tags_pk', ['profile_id', 'tag_id'])
    .execute();
  // "Profiles with this tag" and deleting a tag's assignments.
  await db.schema
    .createIndex('profile_tags_tag')
    .on('profile_tags')
    .columns(['tag_id', 'profile_id'])
    .execute();

  await db.schema
    .createTable('linked_devices')
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    // `web`, `ios`, `android` or `other`.
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('push_token', 'text')
    // `web-push` or `mobile-push` (null without a token).
    .addColumn('push_channel', 'text')
    .addColumn('name', 'text')
    .addColumn('model', 'text')
    .addColumn('os', 'text')
    // JSON object.
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('linked_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    // One device belongs to one profile of an environment at a time: linking it again moves it.
    .addPrimaryKeyConstraint('linked_devices_pk', ['environment_id', 'device_id'])
    .execute();
  await db.schema
    .createIndex('linked_devices_profile')
    .on('linked_devices')
    .columns(['profile_id', 'linked_at'])
    .execute();
}
