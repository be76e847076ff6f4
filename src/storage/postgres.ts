import { Kysely, PostgresDialect, type QueryResult, type Transaction } from 'kysely';
import pg from 'pg';
import { runDirectly } from './precompiled.js';
import type { Database } from './schema.js';
import type { GroupTransaction } from './write-queue.js';

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

export interface Postgres {
  /** Kysely over the pool: reads, and writes outside the group-commit writers. */
  db: Kysely<Database>;
  /** Runs a group-commit transaction on a connection of its own, pipelined (see below). */
  transaction: GroupTransaction;
}

/**
 * A pg pool of `poolSize` connections, in pipeline mode: a connection sends a statement without
 * waiting for the answers to those sent before it. Kysely runs one statement at a time per
 * connection anyway, so only the group-commit writers' own statements overlap: a write job's
 * independent statements (and the savepoint before them) reach the server in one round trip.
 */
export function openPostgres(url: string, poolSize: number): Postgres {
  // Named, so that the change feed can tell Tessera's transactions from a psql session's or a
  // backup's (ChangeEventStore.settledBefore); an application_name in the URL wins.
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types,
    pipeline: true,
    application_name: 'tessera',
  });
  // An idle connection dropped by the server (restart, idle timeout) emits `error` on the pool;
  // unhandled, that would end the process. The pool replaces the connection on next use, and
  // the query that needs it reports its own error.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, transaction: (run) => pipelinedTransaction(pool, run) };
}

/**
 * Statements with at most this many parameters run as named prepared statements: the short
 * ones of one profile's write, parsed and planned once per connection. Multi-row statements
 * come in a shape per row count, each kept by the server for the connection's lifetime, so the
 * large ones (which parse in little time next to their execution) are left unnamed to bound
 * what every pool connection holds.
 */
const NAMED_UP_TO = 64;

/** Kysely over one connection the caller holds, per connection (made once for each). */
const pinned = new WeakMap<pg.PoolClient, Kysely<Database>>();

function pinnedTo(client: pg.PoolClient): Kysely<Database> {
  let db = pinned.get(client);
  if (!db) {
    // Kysely's driver "connects" to the held client and "releases" it to nobody: the
    // transaction below returns it to the pool itself. Its `begin` is answered at once and
    // goes out with the transaction's first statements, which the pipeline runs after it (one
    // round trip fewer); the commit waits for the begin's own answer before it is sent. (A
    // begin fails only with its connection, and then so does every statement after it.)
    let begun: Promise<unknown> = Promise.resolve();
    const query = async (text: string, values?: unknown[]) => {
      if (text === 'begin') {
        begun = client.query(text);
        begun.catch(() => {}); // answered at the commit
        return { command: 'BEGIN', rowCount: null, rows: [] };
      }
      if (text === 'commit') await begun;
      return client.query(text, values);
    };
    const pool = { connect: async () => ({ query, release() {} }), end: async () => {} };
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: pool as never }) });
    pinned.set(client, db);
  }
  return db;
}

/**
 * One group transaction on a pool connection, through Kysely (the jobs' ordinary queries) and
 * directly on the connection (precompiled statements: see runDirectly). Kysely waits for each
 * statement's answer before it sends the next one on a transaction; the direct ones are sent at
 * once, in the order they are issued, and answered in that order. A connection whose
 * transaction failed is closed rather than reused: its state is not known.
 */
async function pipelinedTransaction<T>(
  pool: pg.Pool,
  run: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let failed = false;
  try {
    return await pinnedTo(client)
      .transaction()
      .execute((trx) => {
        const send = coalescedWrites(client);
        runDirectly(trx, ({ sql, name }, parameters) => {
          send();
          // Named: prepared once per connection (see NAMED_UP_TO). Statements without
          // parameters may be several in one text, which only the unnamed simple protocol runs.
          const values = parameters as unknown[];
          const named = values.length > 0 && values.length <= NAMED_UP_TO;
          const query = named ? { name, text: sql, values } : { text: sql, values };
          return client.query(query).then(queryResult);
        });
        return run(trx);
      });
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    client.release(failed);
  }
}

/**
 * Statements sent in the same turn of the event loop leave in one socket write: pg writes each
 * statement as it is issued, and a write to a loopback socket costs about as much as the
 * server's whole work on a short statement (the kernel delivers it, and wakes the server, in
 * the sender's system call). Call before issuing each statement.
 */
function coalescedWrites(client: pg.PoolClient): () => void {
  const stream = client.connection.stream;
  let corked = false;
  return () => {
    if (corked) return;
    corked = true;
    stream.cork();
    process.nextTick(() => {
      corked = false;
      stream.uncork();
    });
  };
}

/** A pg result as Kysely's own PostgreSQL driver presents it. */
function queryResult(result: pg.QueryResult): QueryResult<unknown> {
  const { command, rowCount, rows } = result;
  const writes =
    command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
  return { numAffectedRows: writes ? BigInt(rowCount ?? 0) : undefined, rows: rows ?? [] };
}
