import { CompiledQuery, type Kysely, type QueryResult } from 'kysely';
import type { Database } from './schema.js';

type Db = Pick<Kysely<Database>, 'executeQuery'>;

/**
 * Runs a statement at once, without Kysely's executor (SQLite: synchronously; PostgreSQL: sent
 * at once on a pipelined connection), or answers undefined when it may not (the statement then
 * goes through Kysely, and its connection queue, as usual).
 */
export type DirectRunner = (
  statement: { sql: string; name: string },
  parameters: readonly unknown[],
) => QueryResult<unknown> | Promise<QueryResult<unknown>> | undefined;

/** Statement names by SQL text (see Precompiled.name). */
const names = new Map<string, string>();

/** Query handles whose statements may run directly (SQLite: see storage.ts), by handle. */
const directRunners = new WeakMap<object, DirectRunner>();

/**
 * Lets precompiled statements run on `db` (a Kysely instance, or a transaction) through
 * `runner`. better-sqlite3 is synchronous: Kysely's executor only adds promise turns and
 * bookkeeping around a statement that runs in microseconds.
 */
export function runDirectly(db: object, runner: DirectRunner): void {
  directRunners.set(db, runner);
}

/**
 * A hot-path query built and compiled by Kysely once, then run with new parameters on every
 * call. Building a Kysely query (immutable nodes, `freeze`, the compiler's visitor) costs more
 * than running a short SQLite statement; the compiled SQL text is the dialect's own (`?` on
 * SQLite, `$n` on PostgreSQL). It runs through the driver, which keeps the connection's
 * queueing, the transaction it is given and SQLite's prepared-statement cache, or directly on a
 * handle the storage allows that for (see {@link runDirectly}).
 *
 * The query must be built with placeholder values in the order the parameters are passed.
 */
export class Precompiled<Row> {
  /**
   * One name per SQL text in the process, whichever store compiled it: PostgreSQL prepares a
   * named statement once per connection (parsed and planned once, not on every write).
   */
  readonly name: string;

  private constructor(readonly sql: string) {
    let name = names.get(sql);
    if (name === undefined) {
      name = `tessera_${names.size + 1}`;
      names.set(sql, name);
    }
    this.name = name;
  }

  static of<Row>(query: { compile(): CompiledQuery<Row> }): Precompiled<Row> {
    return new Precompiled<Row>(query.compile().sql);
  }

  /** A statement with no parameters (savepoints), compiled by hand. */
  static raw<Row>(sql: string): Precompiled<Row> {
    return new Precompiled<Row>(sql);
  }

  execute(db: Db, parameters: readonly unknown[] = []): Promise<QueryResult<Row>> {
    const runner = directRunners.get(db);
    if (runner) {
      try {
        const result = runner(this, parameters);
        if (result) return Promise.resolve(result as QueryResult<Row>);
      } catch (error) {
        return Promise.reject(error);
      }
    }
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
