import type { Kysely, Transaction } from 'kysely';
import { parseStored } from '../../lib/json.js';
import type { Database, WebhookSubscriptionsTable } from '../../storage/schema.js';
import type { ChangeEventType } from './change-types.js';

export interface StoredSubscription {
  id: string;
  environmentId: string;
  url: string;
  eventTypes: ChangeEventType[];
  secretSealed: string;
  enabled: boolean;
  disabledReason: string | null;
  createdAt: number;
  updatedAt: number;
}

function fromRow(row: WebhookSubscriptionsTable): StoredSubscription {
  return {
    id: row.id,
    environmentId: row.environment_id,
    url: row.url,
    eventTypes: parseStored(row.event_types) as ChangeEventType[],
    secretSealed: row.secret_sealed,
    enabled: Number(row.enabled) === 1,
    disabledReason: row.disabled_reason,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** Webhook subscriptions (modules/webhooks owns the table). */
export class SubscriptionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(s: StoredSubscription): Promise<void> {
    await this.db
      .insertInto('webhook_subscriptions')
      .values({
        id: s.id,
        environment_id: s.environmentId,
        url: s.url,
        event_types: JSON.stringify(s.eventTypes),
        secret_sealed: s.secretSealed,
        enabled: s.enabled ? 1 : 0,
        disabled_reason: s.disabledReason,
        created_at: s.createdAt,
        updated_at: s.updatedAt,
      })
      .execute();
  }

  async findById(environmentId: string, id: string): Promise<StoredSubscription | undefined> {
    const row = await this.db
      .selectFrom('webhook_subscriptions')
      .selectAll()
      .where('id', '=', id)
      .where('environment_id', '=', environmentId)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  /** Any environment: the delivery worker's view. */
  async findAnyById(id: string): Promise<StoredSubscription | undefined> {
    const row = await this.db
      .selectFrom('webhook_subscriptions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async findByEnvironment(environmentId: string, enabledOnly = false) {
    let query = this.db
      .selectFrom('webhook_subscriptions')
      .selectAll()
      .where('environment_id', '=', environmentId);
    if (enabledOnly) query = query.where('enabled', '=', 1);
    return (await query.orderBy('id').execute()).map(fromRow);
  }

  async update(
    environmentId: string,
    id: string,
    changes: Partial<
      Pick<StoredSubscription, 'url' | 'eventTypes' | 'secretSealed' | 'enabled' | 'disabledReason'>
    >,
    at: number,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('webhook_subscriptions')
      .set({
        ...(changes.url === undefined ? {} : { url: changes.url }),
        ...(changes.eventTypes === undefined
          ? {}
          : { event_types: JSON.stringify(changes.eventTypes) }),
        ...(changes.secretSealed === undefined ? {} : { secret_sealed: changes.secretSealed }),
        ...(changes.enabled === undefined ? {} : { enabled: changes.enabled ? 1 : 0 }),
        ...(changes.disabledReason === undefined
          ? {}
          : { disabled_reason: changes.disabledReason }),
        updated_at: at,
      })
      .where('id', '=', id)
      .where('environment_id', '=', environmentId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Deletes a subscription with its outbox rows and delivery log. */
  async delete(trx: Transaction<Database>, environmentId: string, id: string): Promise<boolean> {
    {
      const result = await trx
        .deleteFrom('webhook_subscriptions')
        .where('id', '=', id)
        .where('environment_id', '=', environmentId)
        .executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      await trx.deleteFrom('webhook_deliveries').where('subscription_id', '=', id).execute();
      await trx.deleteFrom('webhook_attempts').where('subscription_id', '=', id).execute();
      return true;
    }
  }
}
