/**
 * Consents and preferences (the 004 document's "Consents" and "Preferences" areas) as the engine
 * sees them: records, the immutable history entries that change them, and read views.
 *
 * A *data point* is what one record is about: a consent is keyed by purpose + what it is attached
 * to (the person, one contact element, a device, an application, a preference); a preference by
 * topic + channel. Every change appends a history entry; the current record of a data point is
 * the newest entry's record. Times are epoch milliseconds; the engine never reads a clock.
 */
import type { ConsentState } from './audience-types.js';

export { CONSENT_STATES, type ConsentState } from './audience-types.js';

export const CONTACT_TYPES = ['email', 'phone'] as const;
export type ContactType = (typeof CONTACT_TYPES)[number];

export const ATTACHMENT_KINDS = [
  'person',
  'contact',
  'device',
  'application',
  'preference',
] as const;
export type AttachmentKind = (typeof ATTACHMENT_KINDS)[number];

/** What a consent is attached to. */
export type ConsentAttachment =
  | { kind: 'person' }
  | { kind: 'contact'; type: ContactType; value: string }
  | { kind: 'device'; id: string }
  | { kind: 'application'; id: string }
  | { kind: 'preference'; topic: string; channel: string };

/** Who recorded a change, how, and how long it holds: shared by consents and preferences. */
export interface RecordBase {
  /** The system or form that captured the change (`web-signup`, `crm-import`, ...). */
  source: string;
  /** Who made the change (the person, an agent's id), when known. */
  actor: string | null;
  /** The address the change came from, when known. */
  ip: string | null;
  /** When the change was recorded. */
  at: number;
  /** After this instant the record no longer holds (exclusive: at `expiresAt` it has expired). */
  expiresAt: number | null;
  /** Set (to `expiresAt`) by the `lapsed` history entry once the expiry has been recorded. */
  lapsedAt: number | null;
}

export interface ConsentRecord extends RecordBase {
  kind: 'consent';
  purpose: string;
  attachedTo: ConsentAttachment;
  state: ConsentState;
  policyVersion: string;
}

export interface PreferenceRecord extends RecordBase {
  kind: 'preference';
  topic: string;
  channel: string;
  subscribed: boolean;
  frequency: string | null;
}

export type DataPointRecord = ConsentRecord | PreferenceRecord;

/** The key of a data point: consent → (purpose, attachment key); preference → (topic, channel). */
export interface DataPointKey {
  kind: DataPointRecord['kind'];
  subject: string;
  target: string;
}

/**
 * One history entry, before the module gives it an id: `set` is a change someone made; `lapsed`
 * records that the record's expiry passed (`at` is the expiry instant, not when it was noticed).
 * `record` is the data point's record after the entry.
 */
export interface HistoryDraft {
  change: 'set' | 'lapsed';
  at: number;
  record: DataPointRecord;
}

/** A consent's state as read: `expired` once `expiresAt` has passed, whatever was recorded. */
export type ConsentReadState = ConsentState | 'expired';

export interface ConsentView {
  purpose: string;
  attachedTo: ConsentAttachment;
  /** The attachment as one string (`person`, `contact:email:ann@example.com`, ...). */
  dataPoint: string;
  state: ConsentReadState;
  /** The state recorded by the last change (what `expired` replaced). */
  recordedState: ConsentState;
  policyVersion: string;
  /** The environment's current policy version of the purpose (null: none published). */
  currentPolicyVersion: string | null;
  /** True when a policy version other than the one consented to is current. */
  needsRenewal: boolean;
  source: string;
  actor: string | null;
  ip: string | null;
  at: number;
  expiresAt: number | null;
  lapsedAt: number | null;
}

export interface PreferenceView {
  topic: string;
  channel: string;
  /** Effective: false once expired. */
  subscribed: boolean;
  recordedSubscribed: boolean;
  frequency: string | null;
  expired: boolean;
  source: string;
  actor: string | null;
  ip: string | null;
  at: number;
  expiresAt: number | null;
  lapsedAt: number | null;
}

/** One entry of the 002 document's `marketingPreferences.channels`. */
export interface MarketingChannel {
  channel: string;
  subscribed: boolean;
}
