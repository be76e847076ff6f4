import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import { ForeignCommits, type ForeignCommitWatch } from './foreign-commits.js';
import { migrateToLatest } from './migrator.js';
import { isPostgresUrl, openPostgres } from './postgres.js';
import { runDirectly } from './precompiled.js';
import type { RowWrite } from './row-writes.js';
import type { Database } from './schema.js';
import { type Checkpointer, startCheckpointer } from './sqlite-checkpointer.js';
import { ImmediateSqliteDialect, runStatement } from './sqlite-dialect.js';
import { withStatementCache } from './statement-cache.js';
import {
  GroupCommitWriter,
  ShardedWriter,
  type WriteJob,
  type WriteOptions,
} from './write-queue.js';

export interface StorageOptions {
  /** SQLite `synchronous` level (WAL mode). */
  sqliteSynchronous?: 'NORMAL' | 'FULL';
  /** Run pending migrations on open (the default). */
  migrate?: boolean;
  /** PostgreSQL: connections in the pool (default 10). */
  poolSize?: number;
}

export type StorageEngine = 'sqlite' | 'postgres';

/** The database behind every module: one query layer over SQLite or PostgreSQL. */
export interface Storage {
  readonly engine: StorageEngine;
  /** For reads, and for writes outside the hot path. */
  readonly db: Kysely<Database>;
  /** Runs a write job in the next group-commit transaction. */
  write<T>(job: WriteJob<T>, options?: WriteOptions): Promise<T>;
  /**
   * Writes rows (see row-writes.ts) in the next group-commit transaction, in the same
   * statements as other jobs' rows for the same tables where they all succeed.
   */
  writeRows(rows: RowWrite[], options?: WriteOptions): Promise<void>;
  /**
   * SQLite: tells when another process has committed to the database (this process's own
   * commits do not count; see ForeignCommits). Absent where nothing that cheap exists
   * (PostgreSQL).
   */
  readonly foreignCommits?: ForeignCommitWatch;
  close(): Promise<void>;
}

/** Where a `sqlite:` URL (or a plain path) points; `:memory:` for an in-memory database. */
export function sqliteFileFromUrl(url: string): string {
  if (url === 'sqlite::memory:' || url === ':memory:') return ':memory:';
  const withoutScheme = url.replace(/^sqlite:(\/\/)?/, '');
  if (withoutScheme === '') throw new Error(`DATABASE_URL has no file path: ${url}`);
  return withoutScheme;
}

/**
 * PostgreSQL: group-commit writers. A group transaction takes a few round trips whatever its
 * number of jobs (their rows share statements, pipelined), so writers only need to overlap
 * one transaction's commit with the next one's statements: measured on the ingest benchmark,
 * 1, 2 and 5 writers gave 4,170, 4,230 and 3,830 events/s at 10 connections, and 5 writers
 * about 25 % more CPU per event (smaller groups, more statements).
 */
const WRITERS = 2;

/** PostgreSQL: a write job's longest wait for another transaction's row lock (see write-queue.ts). */
const LOCK_TIMEOUT_MS = 20;

/**
 * Opens the database named by `url` (`postgres://user@host/db`, `sqlite://data/tessera.db`,
 * `sqlite:///abs/file.db`, or a path) and runs pending migrations.
 */
export async function createStorage(url: string, options: StorageOptions = {}): Promise<Storage> {
  return isPostgresUrl(url)
    ? createPostgresStorage(url, options)
    : createSqliteStorage(url, options);
}

/**
 * PostgreSQL: a connection pool. Group commit works as on SQLite (savepoints are standard SQL),
 * with several writers; there is no checkpointer and no statement cache, which are SQLite's
 * concerns.
 */
async function createPostgresStorage(url: string, options: StorageOptions): Promise<Storage> {
  const poolSize = options.poolSize ?? 10;
  const { db, transaction } = openPostgres(url, poolSize);
  try {
    if (options.migrate !== false) await migrateToLatest(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  // Each writer holds one connection while it commits; the rest of the pool reads.
  const writer = new ShardedWriter(db, Math.min(WRITERS, Math.floor(poolSize / 2)), {
    lockTimeoutMs: LOCK_TIMEOUT_MS,
    transaction,
    pipelined: true,
  });
  return {
    engine: 'postgres',
    db,
    write: (job, options) => writer.write(job, options),
    writeRows: (rows, options) => writer.writeRows(rows, options),
    async close() {
      await writer.flush();
      await db.destroy();
    },
  };
}

/** SQLite: applies the pragmas the hot path relies on and starts the WAL checkpointer. */
async function createSqliteStorage(url: string, options: StorageOptions): Promise<Storage> {
  const file = sqliteFileFromUrl(url);
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${options.sqliteSynchronous ?? 'NORMAL'}`);
  sqlite.pragma('busy_timeout = 5000');
  // Checkpoints run in a worker thread (see sqlite-checkpointer.ts), never on the event loop.
  sqlite.pragma('wal_autocheckpoint = 0');
  sqlite.pragma('journal_size_limit = 67108864');
  sqlite.pragma('cache_size = -65536');
  // No memory map: mapped pages of a large file would count in RSS (up to the map's size) for no
  // measured gain; the page cache above and the OS's file cache serve reads.
  sqlite.pragma('mmap_size = 0');
  sqlite.pragma('temp_store = MEMORY');

  const statements = withStatementCache(sqlite);
  const db = new Kysely<Database>({
    dialect: new ImmediateSqliteDialect({ database: statements }),
  });
  const run = ({ sql }: { sql: string }, parameters: readonly unknown[]) =>
    runStatement(statements, sql, parameters);
  // Precompiled statements run directly: outside a transaction whenever none is open (a read
  // then sees only committed data, as it would after waiting its turn), and always inside the
  // group transaction that holds the connection.
  runDirectly(db, (sql, parameters) => (sqlite.inTransaction ? undefined : run(sql, parameters)));
  if (options.migrate !== false) await migrateToLatest(db);

  const checkpointer: Checkpointer | null =
    file === ':memory:'
      ? null
      : startCheckpointer(
          path.resolve(file),
          createRequire(import.meta.url).resolve('better-sqlite3'),
        );
  const dataVersion = sqlite.prepare('pragma data_version').pluck();
  const foreign = new ForeignCommits(() => dataVersion.get() as number);
  const writer = new GroupCommitWriter(db, {
    transaction: (job) =>
      db.transaction().execute((trx) => {
        runDirectly(trx, run);
        foreign.observe();
        return job(trx);
      }),
  });

  return {
    engine: 'sqlite',
    db,
    write: (job) => writer.write(job),
    writeRows: (rows) => writer.writeRows(rows),
    foreignCommits: foreign,
    async close() {
      await writer.flush();
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}
