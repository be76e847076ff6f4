import type { CanonicalEvent, ProfileState, SessionState } from '../../engine/types.js';
import { isoTime } from '../../lib/iso-time.js';
import { unstorablePath } from '../../lib/json-input.js';
import type { StoredEvent } from '../../modules/events/event-store.js';
import type { MergeRecord } from '../../modules/profiles/merge-store.js';

/** Epoch ms → ISO-8601, as every native answer shows times (null stays null). */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : isoTime(ms);
}
const isoMap = (times: Record<string, number>) =>
  Object.fromEntries(Object.entries(times).map(([key, ms]) => [key, iso(ms)]));

function presentSession(session: SessionState | null) {
  if (!session) return null;
  return {
    id: session.id,
    count: session.count,
    isReturningVisitor: session.isReturningVisitor,
    landingPage: session.landingPage,
    startedAt: iso(session.startedAt),
    lastEventAt: iso(session.lastEventAt),
    activeSessionLength: session.activeSessionLength,
    averageSessionLength: session.averageSessionLength,
  };
}

/** A profile in the native API: the stored document with ISO-8601 times. */
export function presentProfile(state: ProfileState) {
  return {
    id: state.id,
    identifiers: state.identifiers,
    traits: state.traits,
    traitsMeta: Object.fromEntries(
      Object.entries(state.traitMeta).map(([key, meta]) => [
        key,
        { updatedAt: iso(meta.updatedAt), source: meta.source },
      ]),
    ),
    metadata: {
      createdAt: iso(state.metadata.createdAt),
      updatedAt: iso(state.metadata.updatedAt),
      createdBy: state.metadata.createdBy,
      firstEvent: isoMap(state.metadata.firstEvent),
      lastEvent: isoMap(state.metadata.lastEvent),
      lastActivityTime:
        state.metadata.lastActivityTime === null ? null : iso(state.metadata.lastActivityTime),
      eventCount: state.metadata.eventCount,
    },
    session: presentSession(state.session),
    location: state.location,
    stickyVariants: Object.fromEntries(
      Object.entries(state.stickyVariants).map(([id, v]) => [
        id,
        { variantIndex: v.variantIndex, at: iso(v.at) },
      ]),
    ),
    mergedIds: state.mergedIds,
  };
}

/**
 * A profile as the native API's JSON text. A document stays the same object for as long as its
 * version is current (see ProfileCache), so its text is kept by object: a profile read again
 * and again is presented and serialized once per change.
 */
const presentedJson = new WeakMap<ProfileState, string>();
export function profileJson(state: ProfileState): string {
  let json = presentedJson.get(state);
  if (json === undefined) {
    json = JSON.stringify(presentProfile(state));
    presentedJson.set(state, json);
  }
  return json;
}

/** An event of a profile's timeline. */
export function presentEvent(stored: StoredEvent) {
  const { timestamp, receivedAt, ...rest }: CanonicalEvent = stored.event;
  return {
    id: stored.id,
    profileId: stored.profileId,
    ...rest,
    timestamp: iso(timestamp),
    receivedAt: iso(receivedAt),
  };
}

/** An entry of the merge log, with both profiles as they were just before the merge. */
export function presentMerge(record: MergeRecord) {
  return {
    id: record.id,
    survivorId: record.survivorId,
    mergedId: record.mergedId,
    reason: record.reason,
    traitsFromMerged: record.traitsFromMerged,
    movedIdentifiers: record.movedIdentifiers,
    createdAt: iso(record.createdAt),
    undoneAt: record.undoneAt === null ? null : iso(record.undoneAt),
    survivorBefore: presentProfile(record.survivorBefore),
    mergedBefore: presentProfile(record.mergedBefore),
  };
}

/** Opaque pagination cursors: base64url JSON (the environment is never inside; queries filter by it). */
export function encodeCursor(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, isValid: (v: unknown) => v is T): T | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // A forged cursor may hold what no query can take (a NUL, a number past any bound).
    return isValid(value) && unstorablePath(value) === undefined ? value : null;
  } catch {
    return null;
  }
}
