import type { Kysely, Transaction } from 'kysely';
import { Precompiled } from './precompiled.js';
import type { Database } from './schema.js';

/** The statements between jobs, as precompiled raw statements (SQLite runs them directly). */
const statements = new Map<string, Precompiled<unknown>>();
function statement(text: string): Precompiled<unknown> {
  let found = statements.get(text);
  if (!found) {
    found = Precompiled.raw(text);
    statements.set(text, found);
  }
  return found;
}

export type WriteJob<T> = (trx: Transaction<Database>) => Promise<T>;

/** Runs one group transaction (by default, Kysely's `db.transaction().execute(run)`). */
export type GroupTransaction = <T>(run: (trx: Transaction<Database>) => Promise<T>) => Promise<T>;

export interface WriteOptions {
  /** Keeps the jobs of one key (a profile id) in one writer where there are several. */
  key?: string;
  /**
   * The caller retries a transient conflict: on PostgreSQL the job's waits for another
   * transaction's row locks are cut short (see {@link GroupCommitWriter}). Other jobs wait.
   */
  retriesConflicts?: boolean;
}

export interface WriterOptions {
  /**
   * PostgreSQL: how long a job that `retriesConflicts` may wait for a row lock held by
   * another transaction (another writer or process) before it fails as a transient
   * conflict, to be retried by its caller. Two group transactions that lock the same
   * profiles in different orders would otherwise deadlock, and PostgreSQL breaks a deadlock
   * only after `deadlock_timeout` (1 s), stalling every job of both groups meanwhile.
   */
  lockTimeoutMs?: number;
  maxJobsPerCommit?: number;
  /** How a group transaction runs (SQLite, PostgreSQL: see storage.ts, postgres.ts). */
  transaction?: GroupTransaction;
  /**
   * The transaction's connection pipelines the statements run directly on it (PostgreSQL: see
   * postgres.ts). The statements between two jobs (release, set, savepoint) then go in one
   * query (PostgreSQL's simple protocol takes several), sent with the next job's first
   * statements rather than before them: no round trip of their own.
   */
  pipelined?: boolean;
}

interface Pending {
  job: WriteJob<unknown>;
  failFast: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: write jobs queued while a transaction is running are committed together in the
 * next one, so a burst of requests costs one commit (one fsync) instead of one each. Every job
 * runs inside its own savepoint: a job that throws (a version conflict, say) is rolled back alone
 * and only its caller sees the error.
 */
export class GroupCommitWriter {
  private queue: Pending[] = [];
  private running: Promise<void> | null = null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: WriterOptions = {},
  ) {}

  /** Runs `job` in the next group transaction; resolves once that transaction has committed. */
  write<T>(job: WriteJob<T>, retriesConflicts = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const failFast = retriesConflicts && this.options.lockTimeoutMs !== undefined;
      this.queue.push({ job, failFast, resolve: resolve as (v: unknown) => void, reject });
      if (!this.running) this.running = this.drain();
    });
  }

  /** Resolves when everything queued so far has been committed or failed. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    // Let the requests that arrive in this turn of the event loop join the first batch.
    await new Promise((r) => setImmediate(r));
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.options.maxJobsPerCommit ?? 256);
        await this.commit(batch);
      }
    } finally {
      this.running = null;
    }
  }

  private async commit(queued: Pending[]): Promise<void> {
    // Jobs that wait for locks before those that fail fast, so that the short lock timeout is
    // set once and never has to be undone (jobs queued together have no order among them).
    const batch = [...queued.filter((p) => !p.failFast), ...queued.filter((p) => p.failFast)];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    const transaction: GroupTransaction =
      this.options.transaction ?? ((run) => this.db.transaction().execute(run));
    try {
      await transaction(async (trx) => {
        // Statements not sent yet: they go with the next ones (or not at all: a commit releases
        // every savepoint). `armed`: the savepoint holds the state before the next job.
        let unsent: string[] = [];
        let armed = false;
        let failingFast = false;
        for (const pending of batch) {
          // Set outside any savepoint (a rollback to one would undo it), once: the jobs that
          // wait come first.
          if (pending.failFast && !failingFast) {
            if (armed) unsent.push('release savepoint job');
            unsent.push(`set local lock_timeout = '${Math.ceil(this.options.lockTimeoutMs!)}ms'`);
            failingFast = true;
            armed = false;
          }
          if (!armed) unsent.push('savepoint job');
          const sent = this.send(trx, unsent);
          if (!this.options.pipelined) await sent;
          unsent = [];
          armed = true;
          try {
            // Pipelined: the job's statements follow the savepoint before it is answered.
            const [value] = await allStatements([pending.job(trx), sent]);
            outcomes.push({ ok: true, value });
            unsent.push('release savepoint job');
            armed = false;
          } catch (error) {
            outcomes.push({ ok: false, error });
            // The savepoint stays, at the state before this job: the next job starts from it.
            unsent.push('rollback to savepoint job');
          }
        }
        if (armed) await this.send(trx, unsent);
      });
    } catch (error) {
      // The commit itself failed: nothing in this batch is durable.
      for (const pending of batch) pending.reject(error);
      return;
    }
    batch.forEach((pending, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    });
  }

  private async send(trx: Transaction<Database>, texts: string[]): Promise<void> {
    if (texts.length === 0) return;
    // Without parameters pg uses the simple protocol, which runs several statements at once.
    if (this.options.pipelined) await statement(texts.join('; ')).execute(trx);
    else for (const text of texts) await statement(text).execute(trx);
  }
}

/** PostgreSQL's answer to a statement sent after another failed in the same transaction. */
const AFTER_A_FAILURE = '25P02';

/**
 * Waits for statements issued together (pipelined where the connection does that) and throws
 * the first error among them that is not merely the consequence of another (a statement after a
 * failed one in PostgreSQL's aborted transaction). All of them have finished when it answers,
 * so that the job's savepoint is released or rolled back after every one of its statements.
 */
export async function allStatements<T extends readonly unknown[]>(
  statements: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const outcomes = await Promise.allSettled(statements);
  const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failures.length > 0) {
    const cause = failures.find((f) => (f.reason as { code?: unknown })?.code !== AFTER_A_FAILURE);
    throw (cause ?? failures[0]!).reason;
  }
  return outcomes.map((o) => (o as PromiseFulfilledResult<unknown>).value) as never;
}

/**
 * PostgreSQL: several group-commit writers over the pool, so that one writer's round trips do
 * not bound every write. Jobs with the same key (a profile id) always go to the same writer, in
 * order, so that writes of one profile never wait on each other's row locks in two open
 * transactions. Jobs without a key all go to the first writer, in the order they came, as with a
 * single writer. A write that still meets another transaction's lock waits for its commit (a
 * profile write at most the lock timeout, then it is retried).
 */
export class ShardedWriter {
  private readonly writers: GroupCommitWriter[];

  constructor(db: Kysely<Database>, count: number, options: WriterOptions = {}) {
    this.writers = Array.from(
      { length: Math.max(1, count) },
      () => new GroupCommitWriter(db, options),
    );
  }

  write<T>(job: WriteJob<T>, { key, retriesConflicts }: WriteOptions = {}): Promise<T> {
    const index = key === undefined ? 0 : hashOf(key) % this.writers.length;
    return this.writers[index]!.write(job, retriesConflicts);
  }

  async flush(): Promise<void> {
    await Promise.all(this.writers.map((writer) => writer.flush()));
  }
}

function hashOf(key: string): number {
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) | 0;
  return Math.abs(hash);
}
