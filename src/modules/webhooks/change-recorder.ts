import type { Kysely, Transaction } from 'kysely';
import { newId } from '../../lib/ids.js';
import { SingleFlight } from '../../lib/single-flight.js';
import type { ChangeEventsTable, Database, WebhookDeliveriesTable } from '../../storage/schema.js';
import type { ConsentStatesReader } from '../consents/consent-reader.js';
import type { ChangeEventStore } from './change-event-store.js';
import type { ChangeEventType, ChangeInput, ChangeRecorder, ChangeSink } from './change-types.js';
import type { StoredSubscription, SubscriptionStore } from './subscription-store.js';

/**
 * How long an environment's enabled subscriptions are trusted. Changes in this process drop the
 * entry at once; another process's changes are seen within this time.
 */
const TTL_MS = 2000;

/**
 * The environment setting `webhooksRequireConsent` and a way to read consents, for environments
 * whose change events about a person depend on that person's consent.
 */
export interface WebhookConsentGate {
  /** The purpose that must be granted (tenants module), or null. */
  requiredConsentOf(environmentId: string): Promise<string | null>;
  /** A consent reader on the caller's transaction (on SQLite nothing else may read meanwhile). */
  readerFor(db: Kysely<Database>): ConsentStatesReader;
}

/**
 * The outbox writer behind every module's change reports. Per environment it caches the enabled
 * subscriptions; with none (the common case) `forEnvironment` answers null from memory and the
 * hot path writes nothing extra. Otherwise each change that some subscription wants becomes one
 * `change_events` row and one `webhook_deliveries` row per such subscription, in the caller's
 * transaction.
 */
export class WebhookChangeRecorder implements ChangeRecorder {
  private readonly cache = new Map<string, { sink: ChangeSink | null; checkedAt: number }>();
  private readonly loads = new SingleFlight<ChangeSink | null>();
  /** Set by the composition root (the consents and tenants modules are built beside this one). */
  consentGate: WebhookConsentGate | null = null;

  constructor(
    private readonly subscriptions: SubscriptionStore,
    private readonly events: ChangeEventStore,
    private readonly now: () => number = Date.now,
  ) {}

  invalidate(environmentId: string): void {
    this.cache.delete(environmentId);
    this.loads.forget(environmentId);
  }

  forEnvironment(environmentId: string): Promise<ChangeSink | null> {
    const cached = this.cache.get(environmentId);
    if (cached && this.now() - cached.checkedAt < TTL_MS) return Promise.resolve(cached.sink);
    return this.loads.run(environmentId, () => this.load(environmentId));
  }

  private async load(environmentId: string): Promise<ChangeSink | null> {
    const at = this.now();
    const enabled = await this.subscriptions.findByEnvironment(environmentId, true);
    // The setting is read (and cached with the subscriptions) only where someone listens.
    const purpose =
      enabled.length === 0
        ? null
        : ((await this.consentGate?.requiredConsentOf(environmentId)) ?? null);
    const sink = enabled.length === 0 ? null : this.sinkFor(environmentId, enabled, purpose);
    this.cache.set(environmentId, { sink, checkedAt: at });
    return sink;
  }

  private sinkFor(
    environmentId: string,
    subscriptions: StoredSubscription[],
    purpose: string | null,
  ): ChangeSink {
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
        const wanted = changes.filter((c) => byType.has(c.type));
        const silenced =
          purpose === null
            ? null
            : await this.withoutConsent(trx, environmentId, wanted, purpose, at);
        for (const change of wanted) {
          const targets = byType.get(change.type);
          if (!targets) continue;
          const gated = change.profileId !== null && !isUngated(change, purpose);
          if (gated && silenced?.has(change.profileId!)) continue;
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

  /**
   * Profiles among the changes whose consent for `purpose` is not granted now (denied, withdrawn,
   * expired or never given): their changes are not recorded. One consent read per profile, in
   * the write transaction, so a consent written in it counts. A change of that consent itself is
   * never silenced: a receiver must learn of a withdrawal to stop using the person's data.
   */
  private async withoutConsent(
    trx: Transaction<Database>,
    environmentId: string,
    changes: ChangeInput[],
    purpose: string,
    now: number,
  ): Promise<Set<string>> {
    const silenced = new Set<string>();
    const gate = this.consentGate;
    if (!gate) return silenced;
    const trees = new Map<string, string[]>();
    for (const c of changes) {
      if (c.profileId === null || isUngated(c, purpose)) continue;
      const tree = trees.get(c.profileId) ?? [c.profileId];
      for (const id of c.mergedIds ?? []) if (!tree.includes(id)) tree.push(id);
      trees.set(c.profileId, tree);
    }
    const reader = trees.size === 0 ? null : gate.readerFor(trx);
    for (const [profileId, tree] of trees) {
      const states = await reader!.consentStatesFor(environmentId, tree, [purpose], now);
      if (states[purpose] !== 'granted') silenced.add(profileId);
    }
    return silenced;
  }
}

/** Notices that a person's data is gone are not marketing: they go whatever the consent. */
const NEVER_GATED: ReadonlySet<ChangeEventType> = new Set(['profile.deleted', 'profile.opted_out']);

/** Changes that go whatever the consent: deletion notices, and changes of the gating consent. */
function isUngated(change: ChangeInput, purpose: string | null): boolean {
  if (NEVER_GATED.has(change.type)) return true;
  return (
    purpose !== null && change.type === 'consent.changed' && change.payload.purpose === purpose
  );
}
