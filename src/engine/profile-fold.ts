/**
 * The fold: a profile's state is the result of applying its events one by one. Every step is
 * keyed on event time rather than arrival order, so that the state converges to the same result
 * whatever order (late, retried, imported) events arrive in — as far as possible without reading
 * history, which the hot path may not do.
 */
import { getOwn, isPlainObject, setOwn } from './json-value.js';
import { parseLocation } from './location-parse.js';
import { rollSession } from './session-rollup.js';
import { mergeTraits } from './trait-merge.js';
import type { CanonicalEvent, JsonObject, ProfileMetadata, ProfileState } from './types.js';

/** Options of {@link applyEvent}. */
export interface ApplyOptions {
  /** Surface/source name recorded on traits the event writes (e.g. `native`, `segment`). */
  source: string;
  /** Id generator for new sessions. */
  newId: () => string;
}

/** A fresh, empty profile created at time `at` by `createdBy` (a surface/source name). */
export function newProfileState(
  id: string,
  environmentId: string,
  at: number,
  createdBy: string,
): ProfileState {
  return {
    id,
    environmentId,
    identifiers: [],
    traits: {},
    traitMeta: {},
    metadata: {
      createdAt: at,
      updatedAt: at,
      createdBy,
      firstEvent: {},
      lastEvent: {},
      lastActivityTime: null,
      eventCount: 0,
    },
    session: null,
    location: {},
    stickyVariants: {},
    mergedIds: [],
  };
}

/** Copy of `times` where `key` holds the earlier (or later) of its current value and `t`. */
function keepExtreme(
  times: Record<string, number>,
  key: string,
  t: number,
  keep: 'min' | 'max',
): Record<string, number> {
  const current = getOwn(times, key);
  const wins = current === undefined || (keep === 'min' ? t < current : t > current);
  if (!wins) return times;
  const next = { ...times };
  setOwn(next, key, t);
  return next;
}

function nextMetadata(metadata: ProfileMetadata, event: CanonicalEvent): ProfileMetadata {
  const t = event.timestamp;
  return {
    ...metadata,
    updatedAt: Math.max(metadata.updatedAt, event.receivedAt),
    firstEvent: keepExtreme(metadata.firstEvent, event.action, t, 'min'),
    lastEvent: keepExtreme(metadata.lastEvent, event.action, t, 'max'),
    lastActivityTime:
      metadata.lastActivityTime === null ? t : Math.max(metadata.lastActivityTime, t),
    eventCount: metadata.eventCount + 1,
  };
}

/**
 * Applies one validated event to a profile and returns the new state (the input is never
 * mutated):
 *
 * - identify traits are merged per key by event time ({@link mergeTraits});
 * - first/last event time per action (min/max by event time), lastActivityTime, eventCount,
 *   updatedAt (by receive time: it is when the document last changed);
 * - the session roll-up ({@link rollSession});
 * - `context.location`, when usable, replaces the location if it is not older than the current
 *   one (ties: the later arrival wins, as for traits);
 * - a component event with experienceId + variantIndex locks that variant unless an earlier
 *   exposure is already recorded (the first variant a visitor saw is the one they keep seeing).
 *
 * Identity (attaching identifiers, merges) is not done here: see `decideIdentity`.
 */
export function applyEvent(
  state: ProfileState,
  event: CanonicalEvent,
  opts: ApplyOptions,
): ProfileState {
  const next: ProfileState = {
    ...state,
    metadata: nextMetadata(state.metadata, event),
    session: rollSession(state.session, event, opts.newId),
  };

  if (event.type === 'identify' && event.traits !== undefined) {
    const merged = mergeTraits(
      state.traits,
      state.traitMeta,
      event.traits,
      event.timestamp,
      opts.source,
    );
    next.traits = merged.traits;
    next.traitMeta = merged.traitMeta;
  }

  const rawLocation = event.context ? getOwn(event.context, 'location') : undefined;
  const location = isPlainObject(rawLocation)
    ? parseLocation(rawLocation as JsonObject)
    : undefined;
  if (location && (state.locationAt === undefined || event.timestamp >= state.locationAt)) {
    next.location = location;
    next.locationAt = event.timestamp;
  }

  if (
    event.type === 'component' &&
    event.experienceId !== undefined &&
    event.variantIndex !== undefined &&
    Number.isInteger(event.variantIndex)
  ) {
    const locked = getOwn(state.stickyVariants, event.experienceId);
    if (locked === undefined || event.timestamp < locked.at) {
      const stickyVariants = { ...state.stickyVariants };
      setOwn(stickyVariants, event.experienceId, {
        variantIndex: event.variantIndex,
        at: event.timestamp,
      });
      next.stickyVariants = stickyVariants;
    }
  }
  return next;
}

// Merging lives in its own file for size; re-exported so the fold is one import for callers.
export {
  mergeProfileStates,
  type ProfileMergeResult,
  unmergeProfileState,
} from './profile-merge.js';
