/**
 * The canonical data model every surface maps onto and every engine function works on.
 * Pure types: no I/O, no framework. Times inside the engine are epoch milliseconds (numbers);
 * surfaces turn them into ISO strings on the way out.
 */

export const EVENT_TYPES = [
  'page',
  'track',
  'identify',
  'screen',
  'component',
  'alias',
  'group',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** An event as a client sent it, before validation (Segment spec + the Experience API fields). */
export interface RawEvent {
  type?: unknown;
  messageId?: unknown;
  timestamp?: unknown;
  sentAt?: unknown;
  originalTimestamp?: unknown;
  anonymousId?: unknown;
  userId?: unknown;
  previousId?: unknown;
  groupId?: unknown;
  /** Tessera's own profile id, accepted by the native batch endpoint. */
  profileId?: unknown;
  event?: unknown;
  name?: unknown;
  category?: unknown;
  traits?: unknown;
  properties?: unknown;
  context?: unknown;
  channel?: unknown;
  componentId?: unknown;
  componentType?: unknown;
  experienceId?: unknown;
  variantIndex?: unknown;
  viewDurationMs?: unknown;
  viewId?: unknown;
  [key: string]: unknown;
}

/** A validated, normalized event: what the event store keeps and what the fold consumes. */
export interface CanonicalEvent {
  type: EventType;
  /** Client-supplied id used for idempotency; generated when the client sent none. */
  messageId: string;
  /** Event time after clock-skew correction (epoch ms). */
  timestamp: number;
  /** When Tessera received the request (epoch ms). */
  receivedAt: number;
  /** The client's own clock values, kept for audit (ISO strings as sent, or undefined). */
  sentAt?: string;
  originalTimestamp?: string;
  anonymousId?: string;
  /** Empty string from a client means "traits only": normalized to undefined. */
  userId?: string;
  previousId?: string;
  groupId?: string;
  profileId?: string;
  /** Original event name: `event` for track, `name`/properties.name for page/screen. */
  name?: string;
  /** Normalized action for querying: `"Email Opened"` → `email_opened`; page → `page`, etc. */
  action: string;
  traits?: JsonObject;
  properties?: JsonObject;
  context?: JsonObject;
  channel?: string;
  componentId?: string;
  componentType?: string;
  experienceId?: string;
  variantIndex?: number;
  /** Things normalization corrected and the client should know about (kept on the event). */
  warnings?: string[];
}

/** A validation failure, naming the event's index in its batch and the field. */
export interface EventValidationIssue {
  index: number;
  field: string;
  message: string;
}

export type ValidationResult =
  | { ok: true; event: CanonicalEvent }
  | { ok: false; issues: EventValidationIssue[] };

export interface TraitMeta {
  /** Event time of the write that set the current value (epoch ms). */
  updatedAt: number;
  /** Where the value came from: the surface or source name (e.g. `native`, `segment`). */
  source: string;
}

export interface LandingPage {
  path: string;
  url: string;
  query: Record<string, string>;
  referrer: string;
  search: string;
}

/**
 * Session roll-up, by event time. A new session starts after `SESSION_TIMEOUT_MS` of
 * inactivity. Lengths are in milliseconds.
 */
export interface SessionState {
  id: string;
  count: number;
  isReturningVisitor: boolean;
  landingPage: LandingPage;
  startedAt: number;
  lastEventAt: number;
  /** Length of the current session so far (lastEventAt − startedAt), ms. */
  activeSessionLength: number;
  /** Sum of the lengths of all sessions, the current one included, ms. */
  totalSessionLength: number;
  /** totalSessionLength / count, ms (rounded). */
  averageSessionLength: number;
}

export interface LocationState {
  coordinates?: { latitude: number; longitude: number };
  city?: string;
  postalCode?: string;
  region?: string;
  regionCode?: string;
  country?: string;
  countryCode?: string;
  continent?: string;
  timezone?: string;
}

export interface ProfileMetadata {
  createdAt: number;
  updatedAt: number;
  /** Surface/source that created the profile. */
  createdBy: string;
  /** Per normalized action: event time of the first and last such event. */
  firstEvent: Record<string, number>;
  lastEvent: Record<string, number>;
  /** Latest event time seen on this profile. */
  lastActivityTime: number | null;
  eventCount: number;
}

export const IDENTIFIER_TYPES = ['anonymousId', 'userId', 'customId', 'email', 'phone'] as const;
export type IdentifierType = (typeof IDENTIFIER_TYPES)[number];
/** Whether `type` is one of Tessera's identifier types (not another system's alternate id). */
export const isIdentifierType = (type: string): type is IdentifierType =>
  (IDENTIFIER_TYPES as readonly string[]).includes(type);
/** Identifier types owned by at most one profile per environment. */
export const UNIQUE_IDENTIFIER_TYPES: ReadonlySet<IdentifierType> = new Set([
  'anonymousId',
  'userId',
  'customId',
]);

export interface Identifier {
  type: IdentifierType;
  value: string;
}

/** The one document kept per profile (one row; the hot path reads and writes only this). */
export interface ProfileState {
  id: string;
  environmentId: string;
  identifiers: Identifier[];
  traits: JsonObject;
  traitMeta: Record<string, TraitMeta>;
  metadata: ProfileMetadata;
  session: SessionState | null;
  location: LocationState;
  /**
   * Event time of the event that set `location`, so that a late event cannot replace a newer
   * location (absent: never set by an event).
   */
  locationAt?: number;
  /** experienceId → locked variant (set by component events). Earliest exposure wins. */
  stickyVariants: Record<string, { variantIndex: number; at: number }>;
  /** Ids of profiles merged into this one; their events belong to this profile's timeline. */
  mergedIds: string[];
  /**
   * Per-day counters of the events audience rules look for (see audience-signals.ts), so rules
   * never read the event history. Absent on documents written before audiences existed.
   */
  signals?: Record<string, Record<string, number>>;
  /** Audiences the profile was in at its last write (entries and exits are logged from this). */
  audiences?: string[];
  /**
   * The publishable key that created the profile (locked public access): only that key reaches it
   * from a browser. Absent for profiles created by server credentials or in open mode.
   */
  publicKeyId?: string;
}

/** What an identity decision needs to know about a profile that owns an identifier. */
export interface ProfileSummary {
  id: string;
  userId?: string;
  /**
   * The profile's customId (the profile management API's unique key), when it has one; with
   * several (merged on request), any one of them.
   */
  customId?: string;
  createdAt: number;
}

/** Input to {@link decideIdentity}. */
export interface IdentityInput {
  /** The profile the event is being applied to (null: none exists yet). */
  target: ProfileSummary | null;
  /** The event (identify, alias or any event carrying identifiers). */
  event: Pick<CanonicalEvent, 'type' | 'anonymousId' | 'userId' | 'previousId' | 'traits'>;
  /** Current owners of the event's unique identifiers (`type:value` → owner), absent = unowned. */
  owners: Record<string, ProfileSummary>;
}

export type IdentityDecision =
  /** Nothing to change. */
  | { kind: 'none' }
  /**
   * Add these identifiers to the target (creating it when target was null), or, when `profileId`
   * is set, to that profile instead: an alias whose userId nobody owns attaches it to the
   * previousId's owner, which need not be the target (server-side alias calls carry no
   * anonymousId, so the target is often null).
   */
  | { kind: 'attach'; identifiers: Identifier[]; profileId?: string }
  /**
   * Merge `mergedId` into `survivorId`, then attach `identifiers` to the survivor. The event is
   * applied to the survivor.
   */
  | { kind: 'merge'; survivorId: string; mergedId: string; identifiers: Identifier[] }
  /** Refused: e.g. two profiles that each have a different userId. */
  | { kind: 'conflict'; reason: string };

export const SESSION_TIMEOUT_MS = 30 * 60 * 1000;
/** Events more than this far ahead of receivedAt are clamped to receivedAt. */
export const MAX_FUTURE_SKEW_MS = 24 * 60 * 60 * 1000;
/** Trait keys a client may never set: they are the profile's own system fields. */
export const SYSTEM_TRAIT_KEYS: ReadonlySet<string> = new Set([
  'id',
  'profileId',
  'stableId',
  'createdAt',
  'updatedAt',
  'environmentId',
  '__proto__',
  'constructor',
  'prototype',
]);
