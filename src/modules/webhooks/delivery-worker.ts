import type { FastifyBaseLogger } from 'fastify';
import { newId } from '../../lib/ids.js';
import type { SecretBox } from '../../lib/secret-box.js';
import type { WebhookDeliveriesTable } from '../../storage/schema.js';
import type { ChangeEventStore } from './change-event-store.js';
import type { DeliveryStore } from './delivery-store.js';
import type { SubscriptionStore } from './subscription-store.js';
import { type SendOptions, type SendResult, sendWebhook } from './webhook-sender.js';
import { signWebhook } from './webhook-signature.js';

export interface DeliveryWorkerOptions extends SendOptions {
  retryBaseMs: number;
  maxAttempts: number;
  /** Deliveries sent at once by this process. */
  concurrency?: number;
  pollMs?: number;
  now?: () => number;
  /** A subscription answered 410 Gone (its cache entry must go). */
  onDisabled?: (environmentId: string) => void;
}

/** Longest wait between two attempts. */
const MAX_BACKOFF_MS = 6 * 3_600_000;

/** Exponential backoff with ±50 % jitter, so a receiver coming back is not hit by a wave. */
export function backoffMs(attempt: number, baseMs: number, random = Math.random): number {
  const exponential = Math.min(baseMs * 2 ** (attempt - 1), MAX_BACKOFF_MS);
  return Math.round(exponential * (0.5 + random()));
}

/**
 * Sends the outbox: claims due deliveries (safe across processes, see DeliveryStore.claim),
 * signs each with its subscription's secret and POSTs it, then records the outcome and the
 * attempt in the subscription's delivery log. 2xx succeeds; anything else is retried with
 * backoff until `maxAttempts`, then `failed`; 410 Gone disables the subscription.
 */
export class DeliveryWorker {
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  /** Deliveries in flight per subscription. */
  private readonly sending = new Map<string, number>();
  private draining: Promise<void> | null = null;
  private stopped = false;
  private readonly now: () => number;

  constructor(
    private readonly deliveries: DeliveryStore,
    private readonly subscriptions: SubscriptionStore,
    private readonly events: ChangeEventStore,
    private readonly secrets: SecretBox,
    private readonly log: FastifyBaseLogger,
    private readonly options: DeliveryWorkerOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.options.pollMs ?? 250);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.draining;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  kick(): void {
    if (this.draining || this.stopped) return;
    this.draining = this.drain()
      .catch((err: unknown) => this.log.error({ err }, 'webhook delivery drain failed'))
      .finally(() => {
        this.draining = null;
      });
  }

  private async drain(): Promise<void> {
    const limit = this.options.concurrency ?? 4;
    while (!this.stopped) {
      if (this.inFlight.size >= limit) {
        await Promise.race(this.inFlight);
        continue;
      }
      const lease = this.options.timeoutMs + 30_000;
      // The last free slot goes to a subscription with nothing in flight: a receiver that
      // answers slowly (or not at all, until the timeout) holds at most the other slots, and
      // its backlog never stops the deliveries to everyone else.
      const skipping = this.inFlight.size === limit - 1 ? [...this.sending.keys()] : [];
      const delivery = await this.deliveries.claim(this.now(), lease, skipping);
      if (!delivery) return;
      const subscription = delivery.subscription_id;
      this.sending.set(subscription, (this.sending.get(subscription) ?? 0) + 1);
      const task: Promise<void> = this.deliver(delivery)
        .catch((err: unknown) =>
          this.log.error({ err, deliveryId: delivery.id }, 'delivery failed'),
        )
        .finally(() => {
          this.inFlight.delete(task);
          const left = this.sending.get(subscription)! - 1;
          if (left === 0) this.sending.delete(subscription);
          else this.sending.set(subscription, left);
        });
      this.inFlight.add(task);
    }
  }

  private async deliver(delivery: WebhookDeliveriesTable): Promise<void> {
    const at = this.now();
    const subscription = await this.subscriptions.findAnyById(delivery.subscription_id);
    const event = await this.events.findAnyById(delivery.change_event_id);
    if (!subscription?.enabled || !event) {
      await this.deliveries.settle(delivery.id, {
        status: 'abandoned',
        nextAttemptAt: at,
        statusCode: null,
        error: !event ? 'change event erased' : 'subscription disabled or deleted',
        at,
      });
      return;
    }
    const timestamp = Math.floor(at / 1000);
    const body = JSON.stringify({
      type: event.type,
      timestamp: new Date(event.occurredAt).toISOString(),
      data: { id: event.id, profileId: event.profileId, ...event.payload },
    });
    const secret = this.secrets.open(subscription.secretSealed);
    const result = await sendWebhook(
      subscription.url,
      {
        'webhook-id': event.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(secret, event.id, timestamp, body),
      },
      body,
      this.options,
    );
    await this.record(delivery, event.type, result);
  }

  private async record(
    delivery: WebhookDeliveriesTable,
    eventType: string,
    result: SendResult,
  ): Promise<void> {
    const at = this.now();
    const attempt = Number(delivery.attempts);
    const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const gone = result.statusCode === 410;
    await this.events.insertAttempt({
      id: newId(),
      environment_id: delivery.environment_id,
      subscription_id: delivery.subscription_id,
      delivery_id: delivery.id,
      change_event_id: delivery.change_event_id,
      event_type: eventType,
      attempt,
      attempted_at: at,
      status_code: result.statusCode,
      duration_ms: result.durationMs,
      error: result.error,
    });
    if (gone) {
      // The receiver says the endpoint is gone for good: stop sending to it at all.
      await this.subscriptions.update(
        delivery.environment_id,
        delivery.subscription_id,
        { enabled: false, disabledReason: 'gone' },
        at,
      );
      this.options.onDisabled?.(delivery.environment_id);
      this.log.warn({ subscriptionId: delivery.subscription_id }, 'webhook target gone: disabled');
    }
    const exhausted = attempt >= this.options.maxAttempts;
    await this.deliveries.settle(delivery.id, {
      status: ok ? 'succeeded' : gone ? 'abandoned' : exhausted ? 'failed' : 'pending',
      nextAttemptAt:
        ok || gone || exhausted ? at : at + backoffMs(attempt, this.options.retryBaseMs),
      statusCode: result.statusCode,
      error: result.error,
      at,
    });
  }
}
