import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteDialectConfig,
} from 'kysely';
import { Turns } from '../lib/turns.js';

/**
 * Kysely's SQLite dialect with two changes, both for the hot path:
 *
 * - Every transaction begins `IMMEDIATE`. Several processes may share one database file
 *   (`serve --workers N`). A deferred `BEGIN` takes the write lock only at its first write; if
 *   another process wrote in between, SQLite answers SQLITE_BUSY at once, without waiting out
 *   `busy_timeout`, and the whole group commit fails. `BEGIN IMMEDIATE` takes the write lock up
 *   front, waiting for it under `busy_timeout`, so a transaction that has begun can no longer
 *   lose its lock to another process.
 * - The one connection is handed to its waiters in turn (first come, first served). Kysely's own
 *   driver wakes every waiter on each release and lets all but one wait again: with hundreds of
 *   profile reads waiting behind a group commit, that made every release cost hundreds of
 *   promise turns.
 */
export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #database: SqliteDatabase;

  constructor(settings: SqliteDialectConfig & { database: SqliteDatabase }) {
    super(settings);
    this.#database = settings.database;
  }

  override createDriver(): Driver {
    return new QueuedSqliteDriver(this.#database);
  }
}

/** Runs one statement on the connection, synchronously, as Kysely expects its result. */
export function runStatement<R>(
  db: SqliteDatabase,
  sql: string,
  parameters: readonly unknown[],
): QueryResult<R> {
  const statement = db.prepare(sql);
  if (statement.reader) return { rows: statement.all(parameters) as R[] };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return {
    numAffectedRows: BigInt(changes),
    insertId: lastInsertRowid === undefined ? undefined : BigInt(lastInsertRowid),
    rows: [],
  };
}

class SqliteConnection implements DatabaseConnection {
  constructor(private readonly db: SqliteDatabase) {}

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    return Promise.resolve(runStatement<R>(this.db, compiledQuery.sql, compiledQuery.parameters));
  }

  // biome-ignore lint/correctness/useYield: nothing here streams; Kysely's interface asks for it
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming is not used with SQLite.');
  }
}

class QueuedSqliteDriver implements Driver {
  /** The one connection, handed to one query or transaction at a time, in turn. */
  readonly #queue = new Turns(1);
  readonly #connection: SqliteConnection;

  constructor(private readonly db: SqliteDatabase) {
    this.#connection = new SqliteConnection(db);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#queue.acquire();
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    this.#queue.release();
  }

  async destroy(): Promise<void> {
    this.db.close();
  }
}
