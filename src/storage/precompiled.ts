import { CompiledQuery, type Kysely, type QueryResult } from 'kysely';
import type { Database } from './schema.js';

/**
 * A hot-path query built and compiled by Kysely once, then run with new parameters on every
 * call. Building a Kysely query (immutable nodes, `freeze`, the compiler's visitor) costs more
 * than running a short SQLite statement; the compiled SQL text is the dialect's own (`?` on
 * SQLite, `$n` on PostgreSQL), and it still runs through the driver, so it keeps the
 * connection's queueing, the transaction it is given and SQLite's prepared-statement cache.
 *
 * The query must be built with placeholder values in the order the parameters are passed.
 */
export class Precompiled<Row> {
  private constructor(readonly sql: string) {}

  static of<Row>(query: { compile(): CompiledQuery<Row> }): Precompiled<Row> {
    return new Precompiled<Row>(query.compile().sql);
  }

  execute(
    db: Pick<Kysely<Database>, 'executeQuery'>,
    parameters: readonly unknown[],
  ): Promise<QueryResult<Row>> {
    return db.executeQuery(CompiledQuery.raw(this.sql, [...parameters])) as Promise<
      QueryResult<Row>
    >;
  }
}

/**
 * Precompiled queries whose shape depends on a count (an `in` list, a multi-row insert): one
 * per count, compiled the first time that count is seen. Counts are bounded by the callers'
 * chunk sizes, so the cache is too.
 */
export function precompiledByCount<Row>(
  build: (count: number) => { compile(): CompiledQuery<Row> },
): (count: number) => Precompiled<Row> {
  const byCount = new Map<number, Precompiled<Row>>();
  return (count) => {
    let query = byCount.get(count);
    if (!query) {
      query = Precompiled.of(build(count));
      byCount.set(count, query);
    }
    return query;
  };
}
