import type { Kysely } from 'kysely';

/**
 * Opted-out people, per environment, as keyed hashes of their identifiers: Tessera must
 * recognise them forever without keeping who they are in plain text.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run below the typed schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('suppressions')
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('identifier_hash', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('suppressions_pk', ['environment_id', 'identifier_hash'])
    .execute();
}
