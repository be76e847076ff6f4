/**
 * The audience rule language: JSON data (never code) that says who is in an audience.
 *
 * A rule is a tree of groups (`all` / `any` / `not`) over conditions on the profile state
 * (traits, location, session, identity), the evaluation context (consents, other audiences) and
 * event/page-view counters ("signals") kept in the profile document, so that evaluation never
 * reads event history. Rules are checked by `validateAudienceRule` when saved; the evaluator
 * assumes a validated rule.
 */
import type { Json, ProfileState } from './types.js';

/** Every comparison operator. Which ones a condition accepts depends on its kind. */
export const OPS = [
  'exists',
  'notExists',
  'equals',
  'notEquals',
  'contains',
  'startsWith',
  'endsWith',
  'glob',
  'in',
  'notIn',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'before',
  'after',
] as const;
export type Op = (typeof OPS)[number];

/** Operators on strings only (page fields, location): no numeric or date comparisons. */
export const STRING_OPS: ReadonlySet<Op> = new Set([
  'exists',
  'notExists',
  'equals',
  'notEquals',
  'contains',
  'startsWith',
  'endsWith',
  'glob',
  'in',
  'notIn',
]);

/** A scalar a condition can compare with. */
export type Scalar = string | number | boolean | null;

/**
 * One comparison. `value`'s type depends on `op`: none for exists/notExists; a scalar for
 * equals/notEquals/contains; a string for startsWith/endsWith/glob; a scalar list for
 * in/notIn; a number for gt/gte/lt/lte; `[low, high]` numbers or dates for between (inclusive);
 * a date (ISO string or epoch ms) for before/after. `ignoreCase` applies to string comparisons.
 */
export interface Comparison {
  op: Op;
  value?: Json;
  ignoreCase?: boolean;
}

/** A condition on a profile trait, by dot path over own properties (`address.city`). */
export interface TraitCondition extends Comparison {
  trait: string;
}

/** A filter on an event property, by dot path (`total`, `product.category`). */
export interface PropertyFilter extends Comparison {
  property: string;
}

/** "Performed `event` (a normalized action) at least `minCount` times within `withinDays`". */
export interface EventCondition {
  event: string;
  /** Default 1. */
  minCount?: number;
  /** Calendar days (UTC) ending today; absent: all time (within the kept 366 days). */
  withinDays?: number;
  where?: PropertyFilter[];
}

/** A query-parameter filter of a page-view condition. */
export interface QueryFilter extends Comparison {
  param: string;
}

/** Filters of a page-view condition; all given filters must match the same page view. */
export interface PageViewFilters {
  path?: Comparison;
  url?: Comparison;
  referrer?: Comparison;
  query?: QueryFilter;
  /** `context.campaign.name`, else the `utm_campaign` query parameter. */
  utmCampaign?: Comparison;
}

/** "Viewed a page matching the filters at least `minCount` times within `withinDays`". */
export interface PageViewCondition {
  pageView: PageViewFilters;
  minCount?: number;
  withinDays?: number;
}

export const LOCATION_FIELDS = ['countryCode', 'region', 'city', 'continent'] as const;
export type LocationField = (typeof LOCATION_FIELDS)[number];

export interface LocationCondition extends Comparison {
  location: LocationField;
}

export const SESSION_FIELDS = ['count', 'isReturningVisitor'] as const;
export type SessionField = (typeof SESSION_FIELDS)[number];

export interface SessionCondition extends Comparison {
  session: SessionField;
}

/** `true`: the profile has a `userId`; `false`: it is anonymous. */
export interface IdentifiedCondition {
  identified: boolean;
}

export const CONSENT_STATES = ['granted', 'denied', 'withdrawn'] as const;
export type ConsentState = (typeof CONSENT_STATES)[number];

/** The profile's consent for `purpose` is in `state` (unknown consent matches nothing). */
export interface ConsentCondition {
  consent: string;
  state: ConsentState;
}

/** Membership of another audience (evaluated first: see `audienceEvaluationOrder`). */
export interface AudienceRefCondition {
  audience: string;
}

export interface AllGroup {
  all: AudienceRule[];
}
export interface AnyGroup {
  any: AudienceRule[];
}
export interface NotGroup {
  not: AudienceRule;
}

export type AudienceCondition =
  | TraitCondition
  | EventCondition
  | PageViewCondition
  | LocationCondition
  | SessionCondition
  | IdentifiedCondition
  | ConsentCondition
  | AudienceRefCondition;

export type AudienceRule = AllGroup | AnyGroup | NotGroup | AudienceCondition;

/** A validation error: `path` is a JSON path into the rule (`all[2].value`), `(root)` for it. */
export interface RuleError {
  path: string;
  message: string;
}

export type RuleValidation = { ok: true; rule: AudienceRule } | { ok: false; errors: RuleError[] };

/**
 * Per-signal, per-UTC-day counts: `signalId → dayNumber → count`, where dayNumber is
 * `floor(eventTime / 86 400 000)` written as a string key (JSON object keys are strings).
 * Kept in the profile document; at most {@link MAX_SIGNAL_DAYS} days per signal.
 */
export type SignalCounters = Record<string, Record<string, number>>;

/** Days of buckets kept per signal: one year plus today, so `withinDays: 365` is always exact. */
export const MAX_SIGNAL_DAYS = 366;

/** What a signal counts: events of an action with property filters, or filtered page views. */
export type SignalDefinition =
  | { kind: 'event'; action: string; where: PropertyFilter[] }
  | { kind: 'pageView'; filters: PageViewFilters };

/** A counted definition with its stable id (a hash of the canonical definition). */
export interface Signal {
  id: string;
  definition: SignalDefinition;
}

/** What the evaluator needs; `now` is epoch ms (the evaluator never reads a clock). */
export interface AudienceContext {
  state: ProfileState;
  signals: SignalCounters;
  now: number;
  /** Results of the audiences this rule references (missing: not a member). */
  audiences?: Record<string, boolean>;
  /** Consent state per purpose (missing: unknown, which matches no consent condition). */
  consents?: Record<string, ConsentState>;
}

/** Why a condition is true or false: the explain endpoint shows this tree. */
export interface TraceNode {
  /** JSON path of the node in the rule (`(root)`, `all[1]`, `all[1].not`). */
  path: string;
  /** `all` / `any` / `not`, or the condition kind (`trait`, `event`, `pageView`, ...). */
  kind: string;
  /** The condition itself (leaves only). */
  condition?: AudienceCondition;
  /** What was compared: the trait value, the count in the window, the consent state, ... */
  actual?: Json;
  result: boolean;
  /** Extra detail, e.g. `"trait not set"` or `"audience not evaluated"`. */
  note?: string;
  children?: TraceNode[];
}
