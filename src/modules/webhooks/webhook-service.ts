import { AppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import type { SecretBox } from '../../lib/secret-box.js';
import type { Storage } from '../../storage/storage.js';
import type { ChangeEvent, ChangeEventFilter, ChangeEventStore } from './change-event-store.js';
import type { ChangeEventType } from './change-types.js';
import type { DeliveryStore } from './delivery-store.js';
import type { StoredSubscription, SubscriptionStore } from './subscription-store.js';
import { checkTargetUrl, type Resolver, resolveTarget, TargetRefused } from './target-guard.js';
import { newSigningSecret } from './webhook-signature.js';

/** A subscription as callers see it: never its secret. */
export type Subscription = Omit<StoredSubscription, 'secretSealed'>;

export interface SubscriptionInput {
  url: string;
  eventTypes: ChangeEventType[];
  enabled?: boolean;
}

export interface DeliveryLogEntry {
  id: string;
  deliveryId: string;
  changeEventId: string;
  eventType: string;
  attempt: number;
  attemptedAt: number;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

function publicView(s: StoredSubscription): Subscription {
  const { secretSealed: _sealed, ...rest } = s;
  return rest;
}

/**
 * Webhook subscriptions of an environment and the events API. Targets are checked when saved
 * (form and every DNS answer; again at each connection by the sender). Secrets are sealed at
 * rest and shown once, when created or rotated. Every change calls `onChange` so that the
 * recorder's per-environment cache drops at once in this process.
 */
export class WebhookService {
  constructor(
    private readonly storage: Storage,
    private readonly subscriptions: SubscriptionStore,
    private readonly events: ChangeEventStore,
    private readonly deliveries: DeliveryStore,
    private readonly secrets: SecretBox,
    private readonly options: {
      allowPrivateTargets: boolean;
      onChange: (environmentId: string) => void;
      resolver?: Resolver;
      now?: () => number;
    },
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  async create(
    environmentId: string,
    input: SubscriptionInput,
  ): Promise<{ subscription: Subscription; secret: string }> {
    const url = await this.checkTarget(input.url);
    const secret = newSigningSecret();
    const at = this.now();
    const stored: StoredSubscription = {
      id: newId(),
      environmentId,
      url,
      eventTypes: [...new Set(input.eventTypes)],
      secretSealed: this.secrets.seal(secret),
      enabled: input.enabled ?? true,
      disabledReason: input.enabled === false ? 'manual' : null,
      createdAt: at,
      updatedAt: at,
    };
    await this.subscriptions.insert(stored);
    this.options.onChange(environmentId);
    return { subscription: publicView(stored), secret };
  }

  async list(environmentId: string): Promise<Subscription[]> {
    return (await this.subscriptions.findByEnvironment(environmentId)).map(publicView);
  }

  async get(environmentId: string, id: string): Promise<Subscription> {
    return publicView(await this.find(environmentId, id));
  }

  async update(
    environmentId: string,
    id: string,
    changes: Partial<SubscriptionInput>,
  ): Promise<Subscription> {
    await this.find(environmentId, id);
    const url = changes.url === undefined ? undefined : await this.checkTarget(changes.url);
    await this.subscriptions.update(
      environmentId,
      id,
      {
        url,
        eventTypes: changes.eventTypes && [...new Set(changes.eventTypes)],
        enabled: changes.enabled,
        disabledReason:
          changes.enabled === undefined ? undefined : changes.enabled ? null : 'manual',
      },
      this.now(),
    );
    this.options.onChange(environmentId);
    return this.get(environmentId, id);
  }

  async delete(environmentId: string, id: string): Promise<void> {
    const deleted = await this.storage.write((trx) =>
      this.subscriptions.delete(trx, environmentId, id),
    );
    if (!deleted) throw new AppError('not_found', 'No such webhook subscription.');
    this.options.onChange(environmentId);
  }

  /** A new secret, effective at once for every delivery not yet sent. */
  async rotateSecret(
    environmentId: string,
    id: string,
  ): Promise<{ subscription: Subscription; secret: string }> {
    await this.find(environmentId, id);
    const secret = newSigningSecret();
    await this.subscriptions.update(
      environmentId,
      id,
      { secretSealed: this.secrets.seal(secret) },
      this.now(),
    );
    return { subscription: await this.get(environmentId, id), secret };
  }

  /** A subscription's attempts, newest first, a page at a time (`before`: a cursor). */
  async deliveryLog(
    environmentId: string,
    id: string,
    page: { before?: string; limit: number },
  ): Promise<{ entries: DeliveryLogEntry[]; next: string | null }> {
    await this.find(environmentId, id);
    const rows = await this.events.findAttempts(id, page.before, page.limit + 1);
    const entries = rows.slice(0, page.limit).map((r) => ({
      id: r.id,
      deliveryId: r.delivery_id,
      changeEventId: r.change_event_id,
      eventType: r.event_type,
      attempt: Number(r.attempt),
      attemptedAt: Number(r.attempted_at),
      statusCode: r.status_code === null ? null : Number(r.status_code),
      durationMs: Number(r.duration_ms),
      error: r.error,
    }));
    return { entries, next: rows.length > page.limit ? entries.at(-1)!.id : null };
  }

  /** Outbox rows of a subscription, newest first (status, attempts, next attempt). */
  async deliveriesOf(environmentId: string, id: string, limit: number) {
    await this.find(environmentId, id);
    return this.deliveries.findBySubscription(id, limit);
  }

  /** The events API: change events oldest first, filtered, a page at a time. */
  async listEvents(
    filter: ChangeEventFilter,
  ): Promise<{ events: ChangeEvent[]; next: string | null }> {
    if (filter.subscriptionId !== undefined)
      await this.find(filter.environmentId, filter.subscriptionId);
    const rows = await this.events.find({ ...filter, limit: filter.limit + 1 });
    const events = rows.slice(0, filter.limit);
    return { events, next: rows.length > filter.limit ? events.at(-1)!.id : null };
  }

  async getEvent(environmentId: string, id: string): Promise<ChangeEvent> {
    const event = await this.events.findById(environmentId, id);
    if (!event) throw new AppError('not_found', 'No such change event.');
    return event;
  }

  private async find(environmentId: string, id: string): Promise<StoredSubscription> {
    const found = await this.subscriptions.findById(environmentId, id);
    if (!found) throw new AppError('not_found', 'No such webhook subscription.');
    return found;
  }

  /** The target's form and every address its name resolves to, now (again at each send). */
  private async checkTarget(raw: string): Promise<string> {
    try {
      const url = checkTargetUrl(raw, this.options.allowPrivateTargets);
      await resolveTarget(url.hostname, this.options.allowPrivateTargets, this.options.resolver);
      return url.href;
    } catch (error) {
      if (!(error instanceof TargetRefused)) throw error;
      throw new AppError('validation_failed', `The webhook URL ${error.message}.`, [
        { field: 'url', message: error.message },
      ]);
    }
  }
}
