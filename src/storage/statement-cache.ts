import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Kysely prepares a new SQLite statement for every query, and preparing costs more than running
 * a short query. The hot path repeats the same few SQL strings, so prepared statements are kept
 * by SQL text (bounded; the oldest is dropped first) and reused.
 */
export function withStatementCache(
  db: BetterSqlite3.Database,
  maxStatements = 500,
): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => db.close(),
    prepare(sql: string): SqliteStatement {
      let statement = cache.get(sql);
      if (!statement) {
        statement = db.prepare(sql) as unknown as SqliteStatement;
        if (cache.size >= maxStatements) cache.delete(cache.keys().next().value!);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}
