import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';

/**
 * Kysely's SQLite dialect with every transaction begun `IMMEDIATE`. Several processes may share
 * one database file (`serve --workers N`). A deferred `BEGIN` takes the write lock only at its
 * first write; if another process wrote in between, SQLite answers SQLITE_BUSY at once, without
 * waiting out `busy_timeout`, and the whole group commit fails. `BEGIN IMMEDIATE` takes the
 * write lock up front, waiting for it under `busy_timeout`, so a transaction that has begun can
 * no longer lose its lock to another process. In one process it changes nothing: Kysely's single
 * connection already runs one transaction at a time.
 */
export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #settings: SqliteDialectConfig;

  constructor(settings: SqliteDialectConfig) {
    super(settings);
    this.#settings = settings;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#settings);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}
