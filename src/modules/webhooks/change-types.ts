import type { Transaction } from 'kysely';
import type { Database } from '../../storage/schema.js';

/** Every change a subscription can ask for. */
export const CHANGE_EVENT_TYPES = [
  'profile.created',
  'profile.updated',
  'profile.merged',
  'profile.unmerged',
  'profile.deleted',
  'audience.entered',
  'audience.exited',
  'consent.changed',
  'preference.changed',
  'profile.opted_out',
] as const;
export type ChangeEventType = (typeof CHANGE_EVENT_TYPES)[number];

/**
 * One change, as the module that made it describes it: ids and what changed (trait keys, an
 * audience id), never trait values or identifiers in clear.
 */
export interface ChangeInput {
  type: ChangeEventType;
  /** Null for changes that must outlive the profile's erasure (opt-out). */
  profileId: string | null;
  payload: Record<string, unknown>;
  occurredAt?: number;
  /**
   * The profiles merged into `profileId`: their consents count as its own when the environment
   * makes webhooks depend on consent (see `webhooksRequireConsent`).
   */
  mergedIds?: readonly string[];
}

/**
 * Where modules report their changes. `forEnvironment` is read BEFORE the write transaction
 * (on SQLite a query outside the open transaction would wait for it forever), and answers null
 * when no enabled subscription exists, so those environments write nothing extra.
 */
export interface ChangeRecorder {
  forEnvironment(environmentId: string): Promise<ChangeSink | null>;
}

/** Writes change events and their outbox rows inside the caller's transaction. */
export interface ChangeSink {
  /** Whether some subscription wants this type (lets callers skip building a payload). */
  wants(type: ChangeEventType): boolean;
  write(trx: Transaction<Database>, changes: ChangeInput[]): Promise<void>;
}
