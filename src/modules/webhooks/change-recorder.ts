import type { Transaction } from 'kysely';
import { newId } from '../../lib/ids.js';
import type { ChangeEventsTable, Database, WebhookDeliveriesTable } from '../../storage/schema.js';
import type { ChangeEventStore } from './change-event-store.js';
import type { ChangeEventType, ChangeInput, ChangeRecorder, ChangeSink } from './change-types.js';
import type { StoredSubscription, SubscriptionStore } from './subscription-store.js';

/**
 * How long an environment's enabled subscriptions are trusted. Changes in this process drop the
 * entry at once; another process's changes are seen within this time.
 */
const TTL_MS = 2000;

/**
 * The outbox writer behind every module's change reports. Per environment it caches the enabled
 * subscriptions; with none (the common case) `forEnvironment` answers null from memory and the
 * hot path writes nothing extra. Otherwise each change that some subscription wants becomes one
 * `change_events` row and one `webhook_deliveries` row per such subscription, in the caller's
 * transaction.
 */
export class WebhookChangeRecorder implements ChangeRecorder {
  private readonly cache = new Map<string, { sink: ChangeSink | null; checkedAt: number }>();

  constructor(
    private readonly subscriptions: SubscriptionStore,
    private readonly events: ChangeEventStore,
    private readonly now: () => number = Date.now,
  ) {}

  invalidate(environmentId: string): void {
    this.cache.delete(environmentId);
  }

  async forEnvironment(environmentId: string): Promise<ChangeSink | null> {
    const at = this.now();
    const cached = this.cache.get(environmentId);
    if (cached && at - cached.checkedAt < TTL_MS) return cached.sink;
    const enabled = await this.subscriptions.findByEnvironment(environmentId, true);
    const sink = enabled.length === 0 ? null : this.sinkFor(environmentId, enabled);
    this.cache.set(environmentId, { sink, checkedAt: at });
    return sink;
  }

  private sinkFor(environmentId: string, subscriptions: StoredSubscription[]): ChangeSink {
    const byType = new Map<ChangeEventType, string[]>();
    for (const s of subscriptions) {
      for (const type of s.eventTypes) byType.set(type, [...(byType.get(type) ?? []), s.id]);
    }
    return {
      wants: (type) => byType.has(type),
      write: async (trx: Transaction<Database>, changes: ChangeInput[]) => {
        const at = this.now();
        const events: ChangeEventsTable[] = [];
        const deliveries: WebhookDeliveriesTable[] = [];
        for (const change of changes) {
          const targets = byType.get(change.type);
          if (!targets) continue;
          const id = newId();
          events.push({
            id,
            environment_id: environmentId,
            type: change.type,
            profile_id: change.profileId,
            occurred_at: change.occurredAt ?? at,
            payload: JSON.stringify(change.payload),
          });
          for (const subscriptionId of targets) {
            deliveries.push({
              id: newId(),
              environment_id: environmentId,
              subscription_id: subscriptionId,
              change_event_id: id,
              status: 'pending',
              attempts: 0,
              next_attempt_at: at,
              last_status_code: null,
              last_error: null,
              created_at: at,
              updated_at: at,
            });
          }
        }
        await this.events.insert(trx, events, deliveries);
      },
    };
  }
}
