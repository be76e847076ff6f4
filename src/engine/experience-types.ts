/**
 * Experiences (personalizations and experiments) and what selecting them produces, in the
 * shapes of the Contentful Personalization (Ninetailed) Experience API.
 *
 * Mapping to the SDK's `ExperienceConfiguration` (`@ninetailed/experience.js-shared` 7.x):
 * - `type` `personalization` / `experiment` ⇔ `nt_personalization` / `nt_experiment`;
 * - `audienceId` ⇔ `audience.id`; `trafficAllocation` is the same number;
 * - `distribution` holds one weight per variant index (0 = baseline); the SDK's
 *   `{ index, start, end }[]` ranges are the running sums ({@link SdkDistribution},
 *   `distributionRanges`);
 * - `components[]` ⇔ `EntryReplacement` components (`baseline.id`, `variants[].id`);
 * - `variables[]` ⇔ `InlineVariable` components (`key`, `baseline.value`, `variants[].value`),
 *   flattened to one value per variant index;
 * - `sticky` ⇔ `sticky`; `holdout`, `priority` and `status` are Tessera's own.
 */
import type { JsonObject } from './types.js';

export const EXPERIENCE_TYPES = ['personalization', 'experiment'] as const;
export type ExperienceType = (typeof EXPERIENCE_TYPES)[number];

export const EXPERIENCE_STATUSES = ['draft', 'published'] as const;
export type ExperienceStatus = (typeof EXPERIENCE_STATUSES)[number];

/** A content entry replaced per variant: `variantIds[i - 1]` is shown for variant index i. */
export interface ExperienceComponent {
  baselineId: string;
  variantIds: string[];
}

/** The value types the SDK accepts for an inline variable (`allowVariableTypeSchema`). */
export type VariableValue = string | number | boolean | JsonObject;

/** An inline variable: `values[i]` for variant index i, `values[0]` being the baseline value. */
export interface ExperienceVariable {
  key: string;
  values: VariableValue[];
}

export interface ExperienceDefinition {
  id: string;
  type: ExperienceType;
  name?: string;
  description?: string;
  /** Only members of this audience are eligible; absent: everyone. */
  audienceId?: string;
  /** Share of eligible profiles that enter, 0..1 (in when `trafficAllocation > trafficHash`). */
  trafficAllocation: number;
  /** Weight per variant index (0 = baseline); sums to 1. */
  distribution: number[];
  /** Share of entering profiles kept on the baseline as a control group, 0..1. */
  holdout?: number;
  /** Lower first; ties by id. */
  priority: number;
  components: ExperienceComponent[];
  variables?: ExperienceVariable[];
  status: ExperienceStatus;
  /**
   * Lock the first variant a visitor is shown. Selections of a sticky experience are answered
   * with `sticky: true`, which is what makes the browser SDK send the component view event that
   * records the lock (it only does so for experiences marked sticky).
   */
  sticky?: boolean;
}

/** The SDK's distribution range: variant `index` is chosen when `start <= hash <= end`. */
export interface SdkDistribution {
  index: number;
  start: number;
  end: number;
}

/** One selected experience, exactly as the Experience API returns it. */
export interface SelectedVariantInfo {
  experienceId: string;
  variantIndex: number;
  /** baseline id → id of the entry to show (the baseline itself for variant index 0). */
  variants: Record<string, string>;
  sticky?: true;
}

/** One inline-variable change, exactly as the Experience API returns it. */
export interface Change {
  key: string;
  type: 'Variable';
  value: VariableValue;
  meta: { experienceId: string; variantIndex: number };
}

/** Why an experience was not selected. */
export type SkipReason =
  | 'draft'
  | 'not-in-audience'
  | 'outside-traffic'
  | 'component-claimed'
  | 'variable-claimed';

/** One experience's path through selection, for the explain endpoint. */
export interface ExperienceStep {
  experienceId: string;
  status: ExperienceStatus;
  priority: number;
  audienceId: string | null;
  /** Audience membership (true when there is no audience); absent for drafts. */
  audienceMatch?: boolean;
  trafficAllocation: number;
  /** hashToUnit(`traffic-<id>-<stableId>`) and whether `trafficAllocation > trafficHash`. */
  trafficHash?: number;
  inTraffic?: boolean;
  holdout: number;
  holdoutHash?: number;
  inHoldout?: boolean;
  /** The variant index locked on the profile, when there is one. */
  stickyVariantIndex?: number;
  /** True when the locked variant was used. */
  stickyHit: boolean;
  distributionHash?: number;
  /** The variant the distribution (or holdout, or lock) gives. */
  variantIndex?: number;
  outcome: 'selected' | 'skipped';
  reason?: SkipReason;
  /** Human-readable detail, e.g. which experience claimed a component. */
  detail?: string;
}

/** What selection knows about the profile. */
export interface SelectionContext {
  /** The profile's stable id (the SDK hashes `profile.stableId`). */
  stableId: string;
  /** Audience memberships by audience id (missing: not a member). */
  audiences: Record<string, boolean>;
  /** experienceId → locked variant (ProfileState.stickyVariants fits). */
  sticky: Record<string, { variantIndex: number }>;
}

export interface SelectionResult {
  experiences: SelectedVariantInfo[];
  changes: Change[];
  /** Every experience considered, in priority order (drafts included). */
  explain: ExperienceStep[];
}

/** An experience validation error: `path` like `components[1].variantIds`. */
export interface ExperienceError {
  path: string;
  message: string;
}

export type ExperienceValidation =
  | { ok: true; experience: ExperienceDefinition }
  | { ok: false; errors: ExperienceError[] };
