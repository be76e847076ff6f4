import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

const INT8_OID = 20;

/**
 * Type parsers for this pool only (pg's global registry would change every other pool in the
 * process too). Every `bigint` column holds epoch milliseconds, and `count(*)` is a bigint as
 * well, so int8 is read as a JS number, as better-sqlite3 returns it.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

/** True for a `postgres://` or `postgresql://` DATABASE_URL. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** A Kysely instance over a pg connection pool of `poolSize` connections. */
export function openPostgres(url: string, poolSize: number): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types });
  // An idle connection dropped by the server (restart, idle timeout) emits `error` on the pool;
  // unhandled, that would end the process. The pool replaces the connection on next use, and
  // the query that needs it reports its own error.
  pool.on('error', () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
