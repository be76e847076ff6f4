import { isPlainObject } from '../../engine/index.js';
import type { CanonicalEvent } from '../../engine/types.js';
import { AppError, type ErrorIssue } from '../../errors/app-error.js';
import { prepareEvents } from '../../modules/events/event-intake.js';
import { MAX_BATCH_IDENTIFY, MAX_BATCH_PROFILES } from './ninetailed-schemas.js';

/** The five event types the Experience API accepts (no alias or group: they re-key profiles). */
export const EXPERIENCE_EVENT_TYPES = ['page', 'track', 'identify', 'screen', 'component'];

function refuse(issues: ErrorIssue[]): never {
  throw new AppError('validation_failed', `${issues.length} problem(s) in the events.`, issues);
}

/**
 * Drops the fields this wire does not use as the core would:
 * - those that would name a profile other than the one the request addresses: `profileId` is
 *   not part of this wire, and on the single-profile calls the path (or a new profile) is the
 *   only key, so an event's `anonymousId` must not claim or merge anything;
 * - `sentAt`: the Ninetailed SDKs set it to the event's own time (sdk-protocols.md §1), not to
 *   when the event was sent, so the clock-skew correction (`receivedAt − (sentAt − timestamp)`)
 *   would date every event at its receipt, and a backfilled identify would overwrite newer
 *   traits. The event's `timestamp` is taken as sent (a future one is still clamped).
 */
function onThisWire(raw: unknown, keepAnonymousId: boolean): unknown {
  if (!isPlainObject(raw)) return raw;
  const { profileId: _profileId, sentAt: _sentAt, anonymousId, ...event } = raw;
  return keepAnonymousId && anonymousId !== undefined ? { ...event, anonymousId } : event;
}

/** Validates the events with the engine's Experience API rules; all or nothing. */
function prepare(raws: unknown[], receivedAt: number): CanonicalEvent[] {
  const issues: ErrorIssue[] = [];
  raws.forEach((raw, index) => {
    const type = isPlainObject(raw) ? raw.type : undefined;
    if (typeof type === 'string' && !EXPERIENCE_EVENT_TYPES.includes(type)) {
      issues.push({
        index,
        field: 'type',
        message: `type must be one of: ${EXPERIENCE_EVENT_TYPES.join(', ')}`,
      });
    }
  });
  if (issues.length > 0) refuse(issues);
  return prepareEvents(raws, { receivedAt, requireProfileKey: false, rules: 'experience' });
}

/** The events of a create or update call, for the profile the request names. */
export function profileEvents(raws: unknown[], receivedAt: number): CanonicalEvent[] {
  return prepare(
    raws.map((raw) => onThisWire(raw, false)),
    receivedAt,
  );
}

/** One profile's share of a batch: its anonymousId and its events, in the order given. */
export interface BatchGroup {
  anonymousId: string;
  events: CanonicalEvent[];
}

/**
 * The events of a batch upsert, grouped by the anonymousId each one must carry, within the
 * document's limits (200 events — checked by the route schema —, 50 identify events, 50
 * profiles). Groups come in order of first appearance; the anonymousId leaves the events,
 * because the group's key already addresses the profile.
 */
export function batchGroups(raws: unknown[], receivedAt: number): BatchGroup[] {
  const events = prepare(
    raws.map((raw) => onThisWire(raw, true)),
    receivedAt,
  );
  const issues: ErrorIssue[] = [];
  const groups = new Map<string, CanonicalEvent[]>();
  let identifies = 0;
  events.forEach((event, index) => {
    const { anonymousId, ...rest } = event;
    if (!anonymousId) {
      issues.push({
        index,
        field: 'anonymousId',
        message: 'each event of a batch needs the anonymousId of its profile',
      });
      return;
    }
    if (event.type === 'identify') identifies++;
    const group = groups.get(anonymousId) ?? [];
    group.push(rest);
    groups.set(anonymousId, group);
  });
  if (issues.length > 0) refuse(issues);
  if (identifies > MAX_BATCH_IDENTIFY) {
    refuse([
      {
        field: 'events',
        message: `${identifies} identify events; a batch takes at most ${MAX_BATCH_IDENTIFY}`,
      },
    ]);
  }
  if (groups.size > MAX_BATCH_PROFILES) {
    refuse([
      {
        field: 'events',
        message: `${groups.size} profiles (anonymousIds); a batch takes at most ${MAX_BATCH_PROFILES}`,
      },
    ]);
  }
  return [...groups].map(([anonymousId, group]) => ({ anonymousId, events: group }));
}
