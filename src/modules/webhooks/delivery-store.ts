import type { Kysely } from 'kysely';
import type { Database, WebhookDeliveriesTable } from '../../storage/schema.js';
import type { StorageEngine } from '../../storage/storage.js';

/** The outbox as the delivery worker sees it: claims and outcomes. */
export class DeliveryStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: StorageEngine,
  ) {}

  /**
   * Claims the most overdue pending delivery: one statement that moves its due time forward by
   * a lease and counts the attempt, so of several processes exactly one gets it, and a sender
   * that dies mid-attempt leaves it due again when the lease runs out. On PostgreSQL, SKIP
   * LOCKED lets concurrent claimers pass over each other's rows instead of queueing on them.
   * Deliveries to the `skipping` subscriptions are passed over.
   */
  async claim(
    now: number,
    leaseMs: number,
    skipping: readonly string[] = [],
  ): Promise<WebhookDeliveriesTable | undefined> {
    // A plain read first: the idle poll (the common case) never takes SQLite's write lock.
    const due = await this.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .$if(skipping.length > 0, (qb) => qb.where('subscription_id', 'not in', skipping))
      .limit(1)
      .executeTakeFirst();
    if (!due) return undefined;
    return this.db
      .updateTable('webhook_deliveries')
      .set((eb) => ({
        next_attempt_at: now + leaseMs,
        attempts: eb('attempts', '+', 1),
        updated_at: now,
      }))
      .where('id', '=', (eb) => {
        const due = eb
          .selectFrom('webhook_deliveries')
          .select('id')
          .where('status', '=', 'pending')
          .where('next_attempt_at', '<=', now)
          .$if(skipping.length > 0, (qb) => qb.where('subscription_id', 'not in', skipping))
          .orderBy('next_attempt_at')
          .limit(1);
        return this.engine === 'postgres' ? due.forUpdate().skipLocked() : due;
      })
      .returningAll()
      .executeTakeFirst();
  }

  /** Records an attempt's outcome (only while the row is still pending: erasure may have won). */
  async settle(
    id: string,
    outcome: {
      status: WebhookDeliveriesTable['status'];
      nextAttemptAt: number;
      statusCode: number | null;
      error: string | null;
      at: number;
    },
  ): Promise<void> {
    await this.db
      .updateTable('webhook_deliveries')
      .set({
        status: outcome.status,
        next_attempt_at: outcome.nextAttemptAt,
        last_status_code: outcome.statusCode,
        last_error: outcome.error,
        updated_at: outcome.at,
      })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
  }

  async findBySubscription(subscriptionId: string, limit: number) {
    return this.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('subscription_id', '=', subscriptionId)
      .orderBy('change_event_id', 'desc')
      .limit(limit)
      .execute();
  }
}
