import type { Kysely, Transaction } from 'kysely';
import { Precompiled } from './precompiled.js';
import { type RowWrite, runRows } from './row-writes.js';
import type { Database } from './schema.js';
import { allStatements } from './statements.js';

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
  job: WriteJob<unknown> | RowWrite[];
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
    return this.enqueue(job, retriesConflicts) as Promise<T>;
  }

  /** Writes rows (see row-writes.ts) in the next group transaction, with other jobs' rows. */
  writeRows(rows: RowWrite[], retriesConflicts = false): Promise<void> {
    return this.enqueue(rows, retriesConflicts) as Promise<void>;
  }

  private enqueue(job: Pending['job'], retriesConflicts: boolean): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const failFast = retriesConflicts && this.options.lockTimeoutMs !== undefined;
      this.queue.push({ job, failFast, resolve, reject });
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
    const outcomes = new Map<Pending, Outcome>();
    const transaction: GroupTransaction =
      this.options.transaction ?? ((run) => this.db.transaction().execute(run));
    try {
      await transaction(async (trx) => {
        // Statements not sent yet: they go with the next ones (or not at all: a commit releases
        // every savepoint). `armed`: the savepoint holds the state before the next step.
        let unsent: string[] = [];
        let armed = false;
        let failingFast = false;
        const step = async (run: () => Promise<unknown>, failFast: boolean): Promise<Outcome> => {
          // Set outside any savepoint (a rollback to one would undo it), once: the jobs that
          // wait come first.
          if (failFast && !failingFast) {
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
            const [value] = await allStatements([run(), sent]);
            unsent.push('release savepoint job');
            armed = false;
            return { ok: true, value };
          } catch (error) {
            // The savepoint stays, at the state before this step: the next one starts from it.
            unsent.push('rollback to savepoint job');
            return { ok: false, error };
          }
        };
        for (const unit of unitsOf(queued)) {
          const failFast = unit[0]!.failFast;
          if (unit.length > 1) {
            const writes = unit.flatMap((pending) => pending.job as RowWrite[]);
            const together = await step(() => runRows(trx, writes), failFast);
            if (together.ok) {
              for (const pending of unit) outcomes.set(pending, together);
              continue;
            }
            // One of them conflicts (or several write one row): each on its own, to tell which.
          }
          for (const pending of unit) {
            const { job } = pending;
            const run = typeof job === 'function' ? () => job(trx) : () => runRows(trx, job);
            outcomes.set(pending, await step(run, failFast));
          }
        }
        if (armed) await this.send(trx, unsent);
      });
    } catch (error) {
      // The commit itself failed: nothing in this batch is durable.
      for (const pending of queued) pending.reject(error);
      return;
    }
    for (const pending of queued) {
      const outcome = outcomes.get(pending)!;
      if (outcome.ok) pending.resolve(outcome.value);
      else pending.reject(outcome.error);
    }
  }

  private async send(trx: Transaction<Database>, texts: string[]): Promise<void> {
    if (texts.length === 0) return;
    // Without parameters pg uses the simple protocol, which runs several statements at once.
    if (this.options.pipelined) await statement(texts.join('; ')).execute(trx);
    else for (const text of texts) await statement(text).execute(trx);
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * The order of a group transaction's steps: jobs that wait for locks before those that fail
 * fast, so that the short lock timeout is set once and never has to be undone (jobs queued
 * together have no order among them). In each of the two, the jobs that are only rows go last,
 * together: their rows are written in one statement per table (PostgreSQL: one round trip for
 * them all), and only when that fails one job at a time.
 */
function unitsOf(queued: Pending[]): Pending[][] {
  const units: Pending[][] = [];
  for (const failFast of [false, true]) {
    const rows: Pending[] = [];
    for (const pending of queued) {
      if (pending.failFast !== failFast) continue;
      if (typeof pending.job === 'function') units.push([pending]);
      else rows.push(pending);
    }
    if (rows.length > 0) units.push(rows);
  }
  return units;
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
    return this.writerFor(key).write(job, retriesConflicts);
  }

  writeRows(rows: RowWrite[], { key, retriesConflicts }: WriteOptions = {}): Promise<void> {
    return this.writerFor(key).writeRows(rows, retriesConflicts);
  }

  private writerFor(key: string | undefined): GroupCommitWriter {
    return this.writers[key === undefined ? 0 : hashOf(key) % this.writers.length]!;
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
