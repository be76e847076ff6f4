import { type Kysely, sql } from 'kysely';

/**
 * `event_dedupe` keyed by (message_id, environment_id) instead of (environment_id, message_id).
 * Every lookup names a list of messageIds in one environment. Led by the environment, the key
 * let PostgreSQL, before its first statistics on the table (a new database, the first minute of
 * traffic), plan that lookup as a read of the environment's every row, filtered: 25 ms per batch
 * at 100,000 rows, growing with them, against 0.6 ms once analyzed. Led by the messageId, the
 * key is what such a lookup uses, but for a small table's scan (up to about 80,000 rows, a few
 * ms). The table is rebuilt (a copy of its rows), the same way on both engines.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run below the typed schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('event_dedupe_by_message')
    .addColumn('environment_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('event_dedupe_message_pk', ['message_id', 'environment_id'])
    .execute();
  await sql`insert into event_dedupe_by_message (environment_id, message_id, received_at)
    select environment_id, message_id, received_at from event_dedupe`.execute(db);
  await db.schema.dropTable('event_dedupe').execute();
  await db.schema.alterTable('event_dedupe_by_message').renameTo('event_dedupe').execute();
  await db.schema
    .createIndex('event_dedupe_received')
    .on('event_dedupe')
    .column('received_at')
    .execute();
}
