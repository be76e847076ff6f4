import type { Change, SelectedVariantInfo } from '../../engine/experience-types.js';
import { HASH_UPPER_BOUND, ninetailedMurmur3 } from '../../engine/murmur3.js';
import type { LocationState, ProfileState, SessionState } from '../../engine/types.js';
import { ISO_COUNTRY_CODES } from './iso-country-codes.js';

/**
 * The Experience API's success envelope. All three keys are always present: the SDKs parse the
 * answer with zod and reject it when `message` or `error` is missing.
 */
export function ok<T>(data: T): { data: T; error: null; message: 'ok' } {
  return { data, error: null, message: 'ok' };
}

/**
 * The legacy `random` field: a number in [0, 1) that stays the same for a profile. The SDKs no
 * longer bucket with it (they hash `stableId`), so any stable draw will do; hashing the id keeps
 * it stable without storing anything.
 */
export function randomOf(profileId: string): number {
  return ninetailedMurmur3(`random-${profileId}`) / (HASH_UPPER_BOUND + 1);
}

/**
 * The session as the SDKs require it: every field present, `id` a string. A profile that has
 * had no page, track, screen or component event yet has no session; it is shown as an empty
 * first visit rather than omitted, because the SDKs reject a profile without one.
 */
export function presentSession(session: SessionState | null) {
  if (!session) {
    return {
      id: '',
      isReturningVisitor: false,
      landingPage: { path: '', url: '', query: {}, referrer: '', search: '' },
      count: 0,
      activeSessionLength: 0,
      averageSessionLength: 0,
    };
  }
  return {
    id: session.id,
    isReturningVisitor: session.isReturningVisitor,
    landingPage: session.landingPage,
    count: session.count,
    activeSessionLength: session.activeSessionLength,
    averageSessionLength: session.averageSessionLength,
  };
}

/** The stored location, minus a `countryCode` the SDKs would refuse (see ISO_COUNTRY_CODES). */
export function presentLocation(location: LocationState): LocationState {
  const { countryCode, ...rest } = location;
  return countryCode !== undefined && ISO_COUNTRY_CODES.has(countryCode)
    ? { ...rest, countryCode }
    : rest;
}

/** A profile in the Experience API's `Profile` shape; `id` and `stableId` are Tessera's id. */
export function presentProfile(state: ProfileState, audiences: string[]) {
  const sticky = Object.entries(state.stickyVariants);
  return {
    id: state.id,
    stableId: state.id,
    random: randomOf(state.id),
    audiences,
    traits: state.traits,
    location: presentLocation(state.location),
    session: presentSession(state.session),
    ...(sticky.length > 0
      ? {
          stickyVariants: Object.fromEntries(
            sticky.map(([experienceId, lock]) => [experienceId, lock.variantIndex]),
          ),
        }
      : {}),
  };
}

export type NinetailedProfile = ReturnType<typeof presentProfile>;

/** `data` of the single-profile endpoints (create, update, get). */
export interface ProfileWithSelectedVariants {
  profile: NinetailedProfile;
  experiences: SelectedVariantInfo[];
  changes: Change[];
}
