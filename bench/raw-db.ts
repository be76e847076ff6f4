import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { Engine } from './options.js';

/**
 * A plain connection to the benchmark's database, beside Tessera's: seeding writes rows
 * directly (much faster than through the API) and the ingest baseline inserts through it.
 * SQL is written once with `?` placeholders and rewritten to `$n` for PostgreSQL.
 */
export interface RawDb {
  readonly engine: Engine;
  run(sql: string, params?: unknown[]): Promise<void>;
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs `work` in one transaction. */
  transaction(work: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

const toDollars = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

export function openSqlite(file: string): RawDb {
  const db = new BetterSqlite3(file);
  // The same pragmas as Tessera's storage, so the baseline pays what Tessera pays per commit.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 10000');
  db.pragma('cache_size = -65536');
  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  return {
    engine: 'sqlite',
    async run(sql, params = []) {
      prepared(sql).run(...params);
    },
    async all<T>(sql: string, params: unknown[] = []) {
      return prepared(sql).all(...params) as T[];
    },
    async transaction(work) {
      db.exec('begin');
      try {
        await work();
        db.exec('commit');
      } catch (error) {
        db.exec('rollback');
        throw error;
      }
    },
    async close() {
      db.close();
    },
  };
}

export async function openPostgres(url: string): Promise<RawDb> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    engine: 'postgres',
    async run(sql, params = []) {
      await client.query(toDollars(sql), params);
    },
    async all<T>(sql: string, params: unknown[] = []) {
      return (await client.query(toDollars(sql), params)).rows as T[];
    },
    async transaction(work) {
      await client.query('begin');
      try {
        await work();
        await client.query('commit');
      } catch (error) {
        await client.query('rollback');
        throw error;
      }
    },
    async close() {
      await client.end();
    },
  };
}

export function openRaw(engine: Engine, location: string): Promise<RawDb> {
  return engine === 'sqlite' ? Promise.resolve(openSqlite(location)) : openPostgres(location);
}
