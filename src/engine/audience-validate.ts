/**
 * Validation of audience rules when they are saved. A rule that could be slow or unsafe to
 * evaluate on every event (too deep, too many conditions, huge lists, prototype-reaching paths,
 * unknown operators) is rejected with errors that name the JSON path of the offending part.
 * The validated rule is a clean copy: known keys only, event names normalized to actions.
 */
import { normalizeAction } from './action-name.js';
import {
  type AudienceRule,
  CONSENT_STATES,
  type ConsentState,
  LOCATION_FIELDS,
  type LocationField,
  OPS,
  type Op,
  type PageViewFilters,
  type PropertyFilter,
  type RuleValidation,
  SESSION_FIELDS,
  type SessionField,
  STRING_OPS,
} from './audience-types.js';
import {
  checkComparison,
  checkEnum,
  checkInteger,
  checkKeys,
  checkObject,
  checkPath,
  checkString,
  joinPath,
  RULE_LIMITS,
  RuleChecker,
  typeName,
} from './audience-validate-values.js';
import { FORBIDDEN_KEYS, isPlainObject } from './json-value.js';

/** The key that says what a rule node is; exactly one must be present. */
const KINDS = [
  'all',
  'any',
  'not',
  'trait',
  'event',
  'pageView',
  'location',
  'session',
  'identified',
  'consent',
  'audience',
] as const;

const COMPARISON_KEYS = ['op', 'value', 'ignoreCase'] as const;
const COUNT_OPS: readonly Op[] = [
  'equals',
  'notEquals',
  'in',
  'notIn',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
];
const PAGE_FIELDS = ['path', 'url', 'referrer', 'query', 'utmCampaign'] as const;
/** Longest ids (audiences) referenced from a rule, as for experience ids. */
const MAX_ID_LENGTH = 200;

function checkCounting(
  c: RuleChecker,
  obj: Record<string, unknown>,
  path: string,
): { minCount?: number; withinDays?: number } {
  const out: { minCount?: number; withinDays?: number } = {};
  if (obj.minCount !== undefined) {
    const n = checkInteger(c, obj.minCount, joinPath(path, 'minCount'), 1, RULE_LIMITS.maxMinCount);
    if (n !== undefined) out.minCount = n;
  }
  if (obj.withinDays !== undefined) {
    const path2 = joinPath(path, 'withinDays');
    const n = checkInteger(c, obj.withinDays, path2, 1, RULE_LIMITS.maxWithinDays);
    if (n !== undefined) out.withinDays = n;
  }
  return out;
}

function checkWhere(c: RuleChecker, value: unknown, path: string): PropertyFilter[] {
  if (!Array.isArray(value)) {
    c.add(path, `must be an array, got ${typeName(value)}`);
    return [];
  }
  if (value.length > RULE_LIMITS.maxWhereFilters) {
    c.add(path, `must have at most ${RULE_LIMITS.maxWhereFilters} filters`);
    return [];
  }
  const out: PropertyFilter[] = [];
  value.forEach((item, i) => {
    const at = `${path}[${i}]`;
    const obj = checkObject(c, item, at);
    if (!obj) return;
    checkKeys(c, obj, ['property', ...COMPARISON_KEYS], at);
    const property = checkPath(c, obj.property, joinPath(at, 'property'));
    const comparison = checkComparison(c, obj, at, OPS, 'an event property');
    if (property !== undefined && comparison) out.push({ property, ...comparison });
  });
  return out;
}

function checkPageView(c: RuleChecker, value: unknown, path: string): PageViewFilters {
  const out: PageViewFilters = {};
  const obj = checkObject(c, value, path);
  if (!obj) return out;
  checkKeys(c, obj, PAGE_FIELDS, path);
  for (const field of PAGE_FIELDS) {
    if (obj[field] === undefined) continue;
    const at = joinPath(path, field);
    const filter = checkObject(c, obj[field], at);
    if (!filter) continue;
    if (field === 'query') {
      checkKeys(c, filter, ['param', ...COMPARISON_KEYS], at);
      const param = checkString(c, filter.param, joinPath(at, 'param'));
      if (param !== undefined && FORBIDDEN_KEYS.has(param)) {
        c.add(joinPath(at, 'param'), `query parameter '${param}' is not allowed`);
      }
      const comparison = checkComparison(c, filter, at, STRING_OPS, 'a query parameter');
      if (param !== undefined && comparison) out.query = { param, ...comparison };
    } else {
      checkKeys(c, filter, COMPARISON_KEYS, at);
      const comparison = checkComparison(c, filter, at, STRING_OPS, `the page ${field}`);
      if (comparison) out[field] = comparison;
    }
  }
  return out;
}

/** Checks a leaf condition of `kind`; returns the clean copy or undefined. */
function checkCondition(
  c: RuleChecker,
  kind: (typeof KINDS)[number],
  obj: Record<string, unknown>,
  path: string,
): AudienceRule | undefined {
  c.conditions++;
  const at = joinPath(path, kind);
  const before = c.errors.length;
  let out: AudienceRule | undefined;
  switch (kind) {
    case 'trait': {
      checkKeys(c, obj, ['trait', ...COMPARISON_KEYS], path);
      const trait = checkPath(c, obj.trait, at);
      const comparison = checkComparison(c, obj, path, OPS, 'a trait');
      if (trait !== undefined && comparison) out = { trait, ...comparison };
      break;
    }
    case 'event': {
      checkKeys(c, obj, ['event', 'minCount', 'withinDays', 'where'], path);
      const name = checkString(c, obj.event, at);
      const counting = checkCounting(c, obj, path);
      const where =
        obj.where === undefined ? undefined : checkWhere(c, obj.where, joinPath(path, 'where'));
      if (name !== undefined) {
        out = { event: normalizeAction(name), ...counting, ...(where?.length ? { where } : {}) };
      }
      break;
    }
    case 'pageView': {
      checkKeys(c, obj, ['pageView', 'minCount', 'withinDays'], path);
      out = { pageView: checkPageView(c, obj.pageView, at), ...checkCounting(c, obj, path) };
      break;
    }
    case 'location': {
      checkKeys(c, obj, ['location', ...COMPARISON_KEYS], path);
      const field = checkEnum<LocationField>(c, obj.location, at, LOCATION_FIELDS);
      const comparison = checkComparison(c, obj, path, STRING_OPS, 'a location');
      if (field && comparison) out = { location: field, ...comparison };
      break;
    }
    case 'session': {
      checkKeys(c, obj, ['session', ...COMPARISON_KEYS], path);
      const field = checkEnum<SessionField>(c, obj.session, at, SESSION_FIELDS);
      if (field === 'isReturningVisitor') {
        const comparison = checkComparison(c, obj, path, ['equals', 'notEquals'], field);
        if (comparison && typeof comparison.value !== 'boolean') {
          c.add(joinPath(path, 'value'), 'must be a boolean for isReturningVisitor');
        } else if (comparison) out = { session: field, ...comparison };
      } else if (field === 'count') {
        const comparison = checkComparison(c, obj, path, COUNT_OPS, 'the session count');
        if (comparison) out = { session: field, ...comparison };
      }
      break;
    }
    case 'identified': {
      checkKeys(c, obj, ['identified'], path);
      if (typeof obj.identified === 'boolean') out = { identified: obj.identified };
      else c.add(at, `must be a boolean, got ${typeName(obj.identified)}`);
      break;
    }
    case 'consent': {
      checkKeys(c, obj, ['consent', 'state'], path);
      const purpose = checkString(c, obj.consent, at);
      const state = checkEnum<ConsentState>(c, obj.state, joinPath(path, 'state'), CONSENT_STATES);
      if (purpose !== undefined && state) out = { consent: purpose, state };
      break;
    }
    case 'audience': {
      checkKeys(c, obj, ['audience'], path);
      const id = checkString(c, obj.audience, at, MAX_ID_LENGTH);
      if (id !== undefined) out = { audience: id };
      break;
    }
    default:
      return undefined;
  }
  return c.errors.length === before ? out : undefined;
}

function checkNode(
  c: RuleChecker,
  value: unknown,
  path: string,
  depth: number,
): AudienceRule | undefined {
  if (!isPlainObject(value)) {
    c.add(path, `must be a rule object, got ${typeName(value)}`);
    return undefined;
  }
  // Past the condition budget the rule is rejected anyway: stop walking it, so that a wide and
  // deep rule cannot make validation itself slow.
  if (c.conditions > RULE_LIMITS.maxConditions) return undefined;
  if (depth > RULE_LIMITS.maxDepth) {
    c.add(path, `rules nest deeper than ${RULE_LIMITS.maxDepth} levels`);
    return undefined;
  }
  const kinds = KINDS.filter((kind) => Object.hasOwn(value, kind));
  if (kinds.length !== 1) {
    c.add(
      path,
      kinds.length === 0
        ? `unknown rule: expected exactly one of ${KINDS.join(', ')}`
        : `a rule has exactly one of ${KINDS.join(', ')}; found ${kinds.join(' and ')}`,
    );
    return undefined;
  }
  const kind = kinds[0]!;
  if (kind === 'not') {
    checkKeys(c, value, ['not'], path);
    const inner = checkNode(c, value.not, joinPath(path, 'not'), depth + 1);
    return inner ? { not: inner } : undefined;
  }
  if (kind === 'all' || kind === 'any') {
    checkKeys(c, value, [kind], path);
    const items = value[kind];
    const at = joinPath(path, kind);
    if (!Array.isArray(items)) {
      c.add(at, `must be an array of rules, got ${typeName(items)}`);
      return undefined;
    }
    if (items.length === 0 || items.length > RULE_LIMITS.maxConditions) {
      c.add(at, `must have 1 to ${RULE_LIMITS.maxConditions} rules, got ${items.length}`);
      return undefined;
    }
    const children = items.map((item, i) => checkNode(c, item, `${at}[${i}]`, depth + 1));
    if (children.some((child) => child === undefined)) return undefined;
    return kind === 'all'
      ? { all: children as AudienceRule[] }
      : { any: children as AudienceRule[] };
  }
  return checkCondition(c, kind, value, path);
}

/**
 * Validates an audience rule. On success returns a clean copy (known keys only, event names
 * normalized to actions); otherwise every problem found, each with the JSON path
 * (`all[2].value`, `(root)`) and a message.
 */
export function validateAudienceRule(rule: unknown): RuleValidation {
  const c = new RuleChecker();
  const clean = checkNode(c, rule, '', 1);
  if (c.conditions > RULE_LIMITS.maxConditions) {
    c.add('', `has ${c.conditions} conditions; at most ${RULE_LIMITS.maxConditions} are allowed`);
  }
  if (c.errors.length > 0 || clean === undefined) {
    if (c.errors.length === 0) c.add('', 'invalid rule');
    return { ok: false, errors: c.errors };
  }
  return { ok: true, rule: clean };
}
