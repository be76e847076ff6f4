import type { Change, SelectedVariantInfo } from '../../engine/experience-types.js';
import type { ProfileState } from '../../engine/types.js';

/** What a surface shows of a profile's personalization. */
export interface Personalization {
  /** Ids of the audiences the profile is in now (windows evaluated at `now`). */
  audiences: string[];
  /** Selected variants, in the Experience API's `SelectedVariantInfo` shape. */
  experiences: SelectedVariantInfo[];
  /** Inline-variable changes, in the Experience API's `Change` shape. */
  changes: Change[];
}

/**
 * The personalization module as surfaces use it. Audience memberships and counters are kept in
 * the profile document by the ingest path; this answers, for a profile as it is now, which
 * audiences it is in and which variants and variable values it should see.
 */
export interface PersonalizationApi {
  personalize(environmentId: string, profile: ProfileState, now?: number): Promise<Personalization>;
}

/** The same, for several profiles at once (batch answers carry audiences, not experiences). */
export type AudiencesOf = (
  environmentId: string,
  profile: ProfileState,
  now?: number,
) => Promise<string[]>;
