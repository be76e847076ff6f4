import type { Kysely } from 'kysely';

/**
 * Bulk import and export jobs over HTTP: the job's options and progress, and its input (an
 * import's uploaded body) and output (an export's NDJSON) in ordered text chunks, so that both
 * survive a restart on any engine. Keyed by environment so that erasure can find them.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run below the typed schema
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('bulk_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('environment_id', 'text', (c) => c.notNull())
    // `import` or `export`.
    .addColumn('kind', 'text', (c) => c.notNull())
    // The durable queue's job that runs it (set just after enqueueing).
    .addColumn('job_id', 'text')
    // JSON: format and column map of an import; what, audience and rule of an export.
    .addColumn('options', 'text', (c) => c.notNull())
    // JSON: counts and the checkpoint a resumed run starts from.
    .addColumn('progress', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('bulk_jobs_env')
    .on('bulk_jobs')
    .columns(['environment_id', 'created_at'])
    .execute();
  await db.schema
    .createTable('bulk_chunks')
    .addColumn('job_id', 'text', (c) => c.notNull())
    // `input` or `output`.
    .addColumn('part', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('bulk_chunks_pk', ['job_id', 'part', 'seq'])
    .execute();
}
