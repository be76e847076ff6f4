import type { FastifyBaseLogger } from 'fastify';
import type { ExpressionBuilder, Kysely } from 'kysely';
import { newId } from '../../lib/ids.js';
import { parseStored } from '../../lib/json.js';
import type { Database, JobsTable } from '../../storage/schema.js';
import type { StorageEngine } from '../../storage/storage.js';
import type { JobQueueApi } from './job-api.js';

export interface Job {
  id: string;
  environmentId: string;
  kind: string;
  payload: unknown;
  attempts: number;
}

export type JobHandler = (job: Job) => Promise<void>;

export interface JobStatus {
  id: string;
  kind: string;
  status: JobsTable['status'];
  attempts: number;
  lastError: string | null;
  createdAt: number;
  finishedAt: number | null;
}

const MAX_ATTEMPTS = 8;
const LEASE_MS = 5 * 60_000;

/** Queued and due, or running under a lease that ran out (its worker died). */
function isDue(now: number) {
  return (w: ExpressionBuilder<Database, 'jobs'>) =>
    w.or([
      w.and([w('status', '=', 'queued'), w('run_at', '<=', now)]),
      w.and([w('status', '=', 'running'), w('lease_until', '<', now)]),
    ]);
}

/**
 * A durable job queue in the database. `enqueue` returns once the job is stored; a worker loop
 * claims due jobs one claim at a time (an atomic update, so several processes never run the same
 * job), runs up to `concurrency` of them at once with the handler of their kind, and retries
 * failures with exponential backoff. A job whose worker died is claimed again when its lease
 * runs out.
 */
export class JobQueue implements JobQueueApi {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly personalPayloads = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  /** Jobs running per kind. */
  private readonly runningKinds = new Map<string, number>();
  private stopped = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly log: FastifyBaseLogger,
    private readonly now: () => number = Date.now,
    private readonly engine: StorageEngine = 'sqlite',
    /** Jobs run at once: an erasure or a small export need not wait for a long import. */
    private readonly concurrency = 4,
  ) {}

  /**
   * `personalPayload`: the payload carries personal data that is only input (events to apply),
   * so it is emptied once the job is done or has failed for good; a queued job's is not
   * reachable by an erasure or an opt-out, a finished one must not outlive it.
   */
  register(kind: string, handler: JobHandler, options: { personalPayload?: boolean } = {}): void {
    this.handlers.set(kind, handler);
    if (options.personalPayload) this.personalPayloads.add(kind);
  }

  async enqueue(environmentId: string, kind: string, payload: unknown): Promise<{ id: string }> {
    const id = newId();
    const at = this.now();
    await this.db
      .insertInto('jobs')
      .values({
        id,
        environment_id: environmentId,
        kind,
        payload: JSON.stringify(payload),
        status: 'queued',
        attempts: 0,
        run_at: at,
        lease_until: null,
        last_error: null,
        created_at: at,
        finished_at: null,
      })
      .execute();
    this.kick();
    return { id };
  }

  async status(environmentId: string, id: string): Promise<JobStatus | undefined> {
    const row = await this.db
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', id)
      .where('environment_id', '=', environmentId)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      id: row.id,
      kind: row.kind,
      status: row.status,
      attempts: row.attempts,
      lastError: row.last_error,
      createdAt: Number(row.created_at),
      finishedAt: row.finished_at === null ? null : Number(row.finished_at),
    };
  }

  private emptied(kind: string): { payload?: string } {
    return this.personalPayloads.has(kind) ? { payload: '{}' } : {};
  }

  /** A job's stored payload (for its owner's status views). */
  async payload(environmentId: string, id: string): Promise<unknown> {
    const row = await this.db
      .selectFrom('jobs')
      .select('payload')
      .where('id', '=', id)
      .where('environment_id', '=', environmentId)
      .executeTakeFirst();
    return row ? parseStored(row.payload) : undefined;
  }

  /** Polls for due jobs every `intervalMs` (and at once after each enqueue). */
  start(intervalMs = 500): void {
    this.timer = setInterval(() => this.kick(), intervalMs);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.draining;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Claims due jobs until none is left or enough run; one drain at a time per process. */
  private kick(): void {
    if (this.draining || this.stopped || this.handlers.size === 0) return;
    this.draining = this.drain()
      .catch((err: unknown) => this.log.error({ err }, 'job queue drain failed'))
      .finally(() => {
        this.draining = null;
      });
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      if (this.inFlight.size >= this.concurrency) {
        await Promise.race(this.inFlight);
        continue;
      }
      // The last free slot goes to a kind with nothing running: jobs of one kind (long imports)
      // hold at most the other slots, so an erasure queued behind them need not wait them out.
      const kinds = [...this.handlers.keys()].filter(
        (kind) => this.inFlight.size < this.concurrency - 1 || !this.runningKinds.has(kind),
      );
      const job = kinds.length > 0 ? await this.claim(kinds) : null;
      if (!job) return;
      this.runningKinds.set(job.kind, (this.runningKinds.get(job.kind) ?? 0) + 1);
      const running: Promise<void> = this.run(job)
        .catch((err: unknown) => this.log.error({ err, jobId: job.id }, 'job bookkeeping failed'))
        .finally(() => {
          this.inFlight.delete(running);
          const left = this.runningKinds.get(job.kind)! - 1;
          if (left === 0) this.runningKinds.delete(job.kind);
          else this.runningKinds.set(job.kind, left);
          // A slot is free: the next due job need not wait for the poll.
          this.kick();
        });
      this.inFlight.add(running);
    }
  }

  private async claim(kinds: string[]): Promise<Job | null> {
    const now = this.now();
    // Every process polls: a plain read first, so an idle poll never takes SQLite's write lock
    // (which other processes would then wait for) nor locks a row on PostgreSQL.
    const due = await this.db
      .selectFrom('jobs')
      .select('id')
      .where('kind', 'in', kinds)
      .where(isDue(now))
      .limit(1)
      .executeTakeFirst();
    if (!due) return null;
    // One statement: of several processes polling at once, exactly one wins the row. On SQLite
    // an UPDATE takes the write lock before it reads, so it sees the latest rows; on PostgreSQL, SKIP LOCKED lets each poller pass over the rows
    // another is claiming instead of waiting for it and then finding the row taken.
    const row = await this.db
      .updateTable('jobs')
      .set((eb) => ({
        status: 'running',
        lease_until: now + LEASE_MS,
        attempts: eb('attempts', '+', 1),
      }))
      .where('id', '=', (eb) => {
        const due = eb
          .selectFrom('jobs')
          .select('id')
          .where('kind', 'in', kinds)
          .where(isDue(now))
          .orderBy('run_at')
          .limit(1);
        return this.engine === 'postgres' ? due.forUpdate().skipLocked() : due;
      })
      .returningAll()
      .executeTakeFirst();
    if (!row) return null;
    return {
      id: row.id,
      environmentId: row.environment_id,
      kind: row.kind,
      payload: parseStored(row.payload),
      attempts: row.attempts,
    };
  }

  private async run(job: Job): Promise<void> {
    const handler = this.handlers.get(job.kind)!;
    // A job may outlast its lease (a large import): renew it while the handler runs, so that
    // no other process takes the job over from a live worker.
    const heartbeat = setInterval(() => {
      this.db
        .updateTable('jobs')
        .set({ lease_until: this.now() + LEASE_MS })
        .where('id', '=', job.id)
        .where('status', '=', 'running')
        .where('attempts', '=', job.attempts)
        .execute()
        .catch((err: unknown) => this.log.warn({ err, jobId: job.id }, 'job lease renewal failed'));
    }, LEASE_MS / 5);
    heartbeat.unref();
    try {
      await handler(job);
      clearInterval(heartbeat);
      // `attempts` identifies this claim: if the lease was lost and the job claimed again, the
      // newer claim owns the row and this one leaves it alone.
      await this.db
        .updateTable('jobs')
        .set({
          status: 'done',
          lease_until: null,
          finished_at: this.now(),
          last_error: null,
          ...this.emptied(job.kind),
        })
        .where('id', '=', job.id)
        .where('attempts', '=', job.attempts)
        .execute();
    } catch (err) {
      clearInterval(heartbeat);
      const message = err instanceof Error ? err.message : String(err);
      const failed = job.attempts >= MAX_ATTEMPTS;
      this.log.warn(
        { jobId: job.id, kind: job.kind, attempts: job.attempts, failed },
        'job failed',
      );
      await this.db
        .updateTable('jobs')
        .set({
          status: failed ? 'failed' : 'queued',
          lease_until: null,
          last_error: message.slice(0, 500),
          run_at: this.now() + 1000 * 2 ** job.attempts,
          finished_at: failed ? this.now() : null,
          ...(failed ? this.emptied(job.kind) : {}),
        })
        .where('id', '=', job.id)
        .where('attempts', '=', job.attempts)
        .execute();
    }
  }
}
