import type { Kysely } from 'kysely';

/**
 * How a dialect's own path keys (a MyPreferences ClientId, the profiles read API's
 * clientId/accountId/brandId triple, an Algonomy apiKey) name an environment.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run below the typed schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('surface_keys')
    .addColumn('surface', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('surface_keys_pk', ['surface', 'key'])
    .execute();
  await db.schema
    .createIndex('surface_keys_env')
    .on('surface_keys')
    .column('environment_id')
    .execute();
}
