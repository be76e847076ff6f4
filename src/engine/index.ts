/**
 * The engine: pure functions (no I/O, no clock, no randomness) that turn events into profile
 * state. Everything a module needs is re-exported here.
 */
export { actionOf, normalizeAction, UNNAMED_ACTION } from './action-name.js';
// Personalization: audience rules, signals, experiences and variant selection.
export {
  type AudienceDefinition,
  type AudienceResult,
  audienceEvaluationOrder,
  audienceRefsOf,
  type EvaluationOrder,
  evaluateAudience,
  evaluateAudiences,
  matchAudiences,
} from './audience-evaluate.js';
export { compare, globMatch, parseIsoDate, readPath, toNumber, toTime } from './audience-ops.js';
export {
  ALL_TIME_KEY,
  canonicalJson,
  countInWindow,
  DAY_MS,
  dayOf,
  mergeSignals,
  signalMatches,
  signalOfCondition,
  signalsOf,
  updateSignals,
} from './audience-signals.js';
export * from './audience-types.js';
export { validateAudienceRule } from './audience-validate.js';
export { RULE_LIMITS } from './audience-validate-values.js';
export {
  type ClockReadings,
  type CorrectedTime,
  correctTimestamp,
  MIN_VALID_TIME_MS,
  parseClientTime,
} from './clock-skew.js';
export { contactIdentifiersOf } from './contact-identifiers.js';
export { MAX_ID_LENGTH } from './event-fields.js';
export { type ValidationContext, validateEvent, validateEvents } from './event-validate.js';
export {
  distributionRanges,
  isInTraffic,
  selectDistributionIndex,
  selectExperiences,
} from './experience-select.js';
export * from './experience-types.js';
export { EXPERIENCE_LIMITS, validateExperience } from './experience-validate.js';
export {
  ALIAS_AMBIGUOUS_REASON,
  ALIAS_DIFFERENT_USER_REASON,
  DIFFERENT_USER_REASON,
  decideIdentity,
  identifiersOf,
  ownerKey,
} from './identity-decide.js';
export {
  FORBIDDEN_KEYS,
  getOwn,
  hasOwn,
  isPlainObject,
  JsonDepthError,
  jsonEqual,
  MAX_JSON_DEPTH,
  setOwn,
  toJson,
  toJsonObject,
} from './json-value.js';
export { parseLocation } from './location-parse.js';
export {
  distributionHashInput,
  HASH_UPPER_BOUND,
  hash64Hex,
  hashToUnit,
  holdoutHashInput,
  murmur3_32,
  murmur3_32Bytes,
  ninetailedMurmur3,
  trafficHashInput,
} from './murmur3.js';
export {
  contextPageOf,
  landingPageOf,
  type PageFields,
  queryFromSearch,
  readPageFields,
} from './page-context.js';
export { type ApplyOptions, applyEvent, newProfileState } from './profile-fold.js';
export {
  mergeProfileStates,
  type ProfileMergeResult,
  unmergeProfileState,
} from './profile-merge.js';
export { rollSession, SESSION_ACTIVITY_TYPES } from './session-rollup.js';
export {
  mergeProfileTraits,
  mergeTraits,
  type ProfileTraitMergeResult,
  type TraitMergeResult,
  type TraitSet,
} from './trait-merge.js';
export * from './types.js';
