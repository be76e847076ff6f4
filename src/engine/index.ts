/**
 * The engine: pure functions (no I/O, no clock, no randomness) that turn events into profile
 * state. Everything a module needs is re-exported here.
 */
export { actionOf, normalizeAction, UNNAMED_ACTION } from './action-name.js';
export {
  type ClockReadings,
  type CorrectedTime,
  correctTimestamp,
  MIN_VALID_TIME_MS,
  parseClientTime,
} from './clock-skew.js';
export { MAX_ID_LENGTH } from './event-fields.js';
export { type ValidationContext, validateEvent, validateEvents } from './event-validate.js';
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
  contextPageOf,
  landingPageOf,
  type PageFields,
  queryFromSearch,
  readPageFields,
} from './page-context.js';
export { type ApplyOptions, applyEvent, newProfileState } from './profile-fold.js';
export { mergeProfileStates, type ProfileMergeResult, unmergeTraits } from './profile-merge.js';
export { rollSession, SESSION_ACTIVITY_TYPES } from './session-rollup.js';
export {
  mergeProfileTraits,
  mergeTraits,
  type ProfileTraitMergeResult,
  type TraitMergeResult,
  type TraitSet,
} from './trait-merge.js';
export * from './types.js';
