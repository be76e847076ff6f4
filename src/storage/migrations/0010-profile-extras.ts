import type { Kysely } from 'kysely';

/**
 * Profile extras of the MyPreferences (004) dialect, owned by modules/annotations:
 * - `profile_alternate_ids`: system and device identifiers (`CRM:123`) that Tessera's identity
 *   layer does not know. Each names at most one profile of its environment (primary key), so a
 *   profile can be retrieved by one; rows stay on the profile they were written to and resolve
 *   through merges to the survivor.
 * - `profile_labels`: a profile's groups (`kind = 'group'`, empty value) and an index of its
 *   custom fields (`kind = 'field'`, value as text), so that both can be searched without a scan
 *   of profile documents. The custom fields themselves live in the document's traits.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run below the typed schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('profile_alternate_ids')
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('profile_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('profile_alternate_ids_pk', ['environment_id', 'type', 'value'])
    .execute();
  await db.schema
    .createIndex('profile_alternate_ids_profile')
    .on('profile_alternate_ids')
    .column('profile_id')
    .execute();

  await db.schema
    .createTable('profile_labels')
    .addColumn('profile_id', 'text', (c) => c.notNull())
    // `group` or `field`.
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('profile_labels_pk', ['profile_id', 'kind', 'name'])
    .execute();
  await db.schema
    .createIndex('profile_labels_search')
    .on('profile_labels')
    .columns(['environment_id', 'kind', 'name', 'value', 'profile_id'])
    .execute();
}
