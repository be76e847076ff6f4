import type { FastifyBaseLogger } from 'fastify';
import type { Transaction } from 'kysely';
import { deriveKey, SecretBox } from '../../lib/secret-box.js';
import type { Database } from '../../storage/schema.js';
import type { Storage } from '../../storage/storage.js';
import { ChangeEventStore } from './change-event-store.js';
import { WebhookChangeRecorder } from './change-recorder.js';
import { DeliveryStore } from './delivery-store.js';
import { DeliveryWorker } from './delivery-worker.js';
import { SubscriptionStore } from './subscription-store.js';
import { WebhookService } from './webhook-service.js';

export interface WebhooksModule {
  service: WebhookService;
  /** Handed to the modules that make changes (profiles, consents, privacy). */
  recorder: WebhookChangeRecorder;
  worker: DeliveryWorker;
  /** The person's change events and deliveries, as a profiles PersonalDataStore. */
  personalData: {
    erase(trx: Transaction<Database>, profileIds: string[]): Promise<void>;
    countPersonalData(profileIds: string[]): Promise<Record<string, number>>;
    exportPersonalData(
      environmentId: string,
      profileIds: string[],
    ): Promise<Record<string, unknown>>;
  };
}

export interface WebhooksSettings {
  webhooksAllowPrivateTargets: boolean;
  webhookTimeoutMs: number;
  webhookRetryBaseMs: number;
  webhookMaxAttempts: number;
  webhookConcurrency: number;
  changeFeedHoldMs: number;
}

/** Builds the webhooks module; the worker is started by the app (and stopped on close). */
export function createWebhooksModule(
  storage: Storage,
  masterKey: Buffer,
  settings: WebhooksSettings,
  log: FastifyBaseLogger,
  now?: () => number,
): WebhooksModule {
  // Signing secrets must be readable to sign: sealed under a key of their own.
  const secrets = new SecretBox(Buffer.from(deriveKey(masterKey, 'webhook secrets v1')));
  const subscriptions = new SubscriptionStore(storage.db);
  const events = new ChangeEventStore(storage.db, storage.engine, settings.changeFeedHoldMs);
  const deliveries = new DeliveryStore(storage.db, storage.engine);
  const recorder = new WebhookChangeRecorder(subscriptions, events, now);
  const onChange = (environmentId: string) => recorder.invalidate(environmentId);
  const service = new WebhookService(storage, subscriptions, events, deliveries, secrets, {
    allowPrivateTargets: settings.webhooksAllowPrivateTargets,
    onChange,
    now,
  });
  const worker = new DeliveryWorker(deliveries, subscriptions, events, secrets, log, {
    timeoutMs: settings.webhookTimeoutMs,
    allowPrivateTargets: settings.webhooksAllowPrivateTargets,
    retryBaseMs: settings.webhookRetryBaseMs,
    maxAttempts: settings.webhookMaxAttempts,
    concurrency: settings.webhookConcurrency,
    onDisabled: onChange,
    now,
  });
  return {
    service,
    recorder,
    worker,
    personalData: {
      erase: (trx, profileIds) => events.deleteByProfiles(trx, profileIds),
      countPersonalData: (profileIds) => events.countByProfiles(profileIds),
      exportPersonalData: async (environmentId, profileIds) => ({
        changeEvents: (await events.exportByProfiles(environmentId, profileIds)).map((e) => ({
          ...e,
          occurredAt: new Date(e.occurredAt).toISOString(),
        })),
      }),
    },
  };
}
