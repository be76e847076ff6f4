/**
 * Checks of the leaves of an audience rule (comparisons, paths, counts), shared by
 * `validateAudienceRule`. Each check records errors on a {@link RuleChecker} and returns the
 * cleaned value (or undefined when invalid), so that a saved rule holds only known keys.
 */
import { hasForbiddenSegment, MAX_PATH_SEGMENTS, parseIsoDate, splitPath } from './audience-ops.js';
import { type Comparison, OPS, type Op, type RuleError, type Scalar } from './audience-types.js';
import { FORBIDDEN_KEYS, isPlainObject } from './json-value.js';
import type { Json } from './types.js';

/** Bounds a saved rule must respect, so that evaluation stays cheap on every event. */
export const RULE_LIMITS = {
  /** Nesting levels, the root counting as 1. */
  maxDepth: 6,
  /** Leaf conditions in one rule. */
  maxConditions: 50,
  maxStringLength: 500,
  /** Items of an `in` / `notIn` list. */
  maxListItems: 200,
  maxWithinDays: 365,
  maxMinCount: 10_000,
  /** Property filters of one event condition. */
  maxWhereFilters: 20,
  /** Errors reported at most (the rest are summarized). */
  maxErrors: 50,
} as const;

/** Collects errors with their JSON paths. */
export class RuleChecker {
  readonly errors: RuleError[] = [];
  conditions = 0;

  add(path: string, message: string): void {
    if (this.errors.length < RULE_LIMITS.maxErrors) {
      this.errors.push({ path: path === '' ? '(root)' : path, message });
    }
  }
}

/** `a` + `b` → `a.b`; the root has no prefix. */
export function joinPath(base: string, key: string): string {
  return base === '' ? key : `${base}.${key}`;
}

/** Describes a value's JSON type for messages (`array`, `null`, `object`, ...). */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Reports every key of `obj` not in `allowed`. */
export function checkKeys(
  c: RuleChecker,
  obj: Record<string, unknown>,
  allowed: readonly string[],
  path: string,
): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      c.add(joinPath(path, key), `unknown key '${key}' (allowed: ${allowed.join(', ')})`);
    }
  }
}

/** A non-empty string of at most `max` characters. */
export function checkString(
  c: RuleChecker,
  value: unknown,
  path: string,
  max: number = RULE_LIMITS.maxStringLength,
): string | undefined {
  if (typeof value !== 'string') {
    c.add(path, `must be a string, got ${typeName(value)}`);
    return undefined;
  }
  if (value === '') c.add(path, 'must not be empty');
  else if (value.length > max) c.add(path, `must be at most ${max} characters`);
  else return value;
  return undefined;
}

/** A dot path (`address.city`): bounded, no empty segments, no prototype-reaching names. */
/** A string from a fixed list, else an error naming the allowed values. */
export function checkEnum<T extends string>(
  c: RuleChecker,
  value: unknown,
  path: string,
  allowed: readonly T[],
): T | undefined {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value))
    return value as T;
  c.add(path, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value) ?? 'nothing'}`);
  return undefined;
}

export function checkPath(c: RuleChecker, value: unknown, path: string): string | undefined {
  const text = checkString(c, value, path);
  if (text === undefined) return undefined;
  const segments = splitPath(text);
  if (segments.length > MAX_PATH_SEGMENTS) {
    c.add(path, `must have at most ${MAX_PATH_SEGMENTS} segments`);
  } else if (segments.some((segment) => segment === '')) {
    c.add(path, `'${text}' has an empty segment`);
  } else if (hasForbiddenSegment(text)) {
    const bad = segments.find((segment) => FORBIDDEN_KEYS.has(segment));
    c.add(path, `path segment '${bad}' is not allowed`);
  } else {
    return text;
  }
  return undefined;
}

/** An integer in [min, max]. */
export function checkInteger(
  c: RuleChecker,
  value: unknown,
  path: string,
  min: number,
  max: number,
): number | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    c.add(path, `must be an integer, got ${typeName(value)}`);
  } else if (value < min || value > max) {
    c.add(path, `must be between ${min} and ${max}`);
  } else {
    return value;
  }
  return undefined;
}

function checkScalar(c: RuleChecker, value: unknown, path: string): Scalar | undefined {
  if (typeof value === 'string') {
    // Unlike names and patterns, a compared value may be empty (`equals ""`).
    if (value.length <= RULE_LIMITS.maxStringLength) return value;
    c.add(path, `must be at most ${RULE_LIMITS.maxStringLength} characters`);
    return undefined;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'boolean' || value === null) return value;
  c.add(path, `must be a string, finite number, boolean or null, got ${typeName(value)}`);
  return undefined;
}

function checkNumber(c: RuleChecker, value: unknown, path: string): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  c.add(path, `must be a finite number, got ${typeName(value)}`);
  return undefined;
}

function checkDate(c: RuleChecker, value: unknown, path: string): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.length <= RULE_LIMITS.maxStringLength) {
    const t = parseIsoDate(value);
    if (t !== undefined) return t;
  }
  c.add(path, 'must be an ISO-8601 date (e.g. 2024-05-01 or 2024-05-01T12:00:00Z) or epoch ms');
  return undefined;
}

function checkList(c: RuleChecker, value: unknown, path: string): Scalar[] | undefined {
  if (!Array.isArray(value)) {
    c.add(path, `must be an array, got ${typeName(value)}`);
    return undefined;
  }
  if (value.length === 0 || value.length > RULE_LIMITS.maxListItems) {
    c.add(path, `must have 1 to ${RULE_LIMITS.maxListItems} items, got ${value.length}`);
    return undefined;
  }
  const before = c.errors.length;
  const items = value.map((item, i) => checkScalar(c, item, `${path}[${i}]`));
  return c.errors.length === before ? (items as Scalar[]) : undefined;
}

function checkRange(c: RuleChecker, value: unknown, path: string): Json | undefined {
  if (!Array.isArray(value) || value.length !== 2) {
    c.add(path, 'must be a [low, high] pair');
    return undefined;
  }
  const [low, high] = value as unknown[];
  const numbers = typeof low === 'number' && typeof high === 'number';
  const check = numbers ? checkNumber : checkDate;
  const lo = check(c, low, `${path}[0]`);
  const hi = check(c, high, `${path}[1]`);
  if (lo === undefined || hi === undefined) return undefined;
  if (lo > hi) {
    c.add(path, 'low must not be greater than high');
    return undefined;
  }
  return value as Json;
}

/** Checks `value` for `op`; returns whether it is valid (absent is valid only for exists ops). */
function checkValue(c: RuleChecker, op: Op, obj: Record<string, unknown>, path: string): boolean {
  const has = Object.hasOwn(obj, 'value');
  const value = obj.value;
  const at = joinPath(path, 'value');
  if (op === 'exists' || op === 'notExists') {
    if (has) c.add(at, `must be absent for '${op}'`);
    return !has;
  }
  if (!has) {
    c.add(at, `is required for '${op}'`);
    return false;
  }
  const before = c.errors.length;
  switch (op) {
    case 'equals':
    case 'notEquals':
    case 'contains':
      checkScalar(c, value, at);
      break;
    case 'startsWith':
    case 'endsWith':
    case 'glob':
      checkString(c, value, at);
      break;
    case 'in':
    case 'notIn':
      checkList(c, value, at);
      break;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      checkNumber(c, value, at);
      break;
    case 'between':
      checkRange(c, value, at);
      break;
    case 'before':
    case 'after':
      checkDate(c, value, at);
      break;
  }
  return c.errors.length === before;
}

/**
 * Checks the `op` / `value` / `ignoreCase` part of a condition. `allowed` restricts the
 * operators (e.g. string operators for page fields); `label` names the condition in messages.
 */
export function checkComparison(
  c: RuleChecker,
  obj: Record<string, unknown>,
  path: string,
  allowed: ReadonlySet<Op> | readonly Op[],
  label: string,
): Comparison | undefined {
  const opPath = joinPath(path, 'op');
  const op = obj.op;
  const allowedList = [...allowed];
  if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op)) {
    c.add(opPath, `unknown operator ${JSON.stringify(op)} (allowed: ${allowedList.join(', ')})`);
    return undefined;
  }
  if (!allowedList.includes(op as Op)) {
    c.add(
      opPath,
      `operator '${op}' is not allowed for ${label} (allowed: ${allowedList.join(', ')})`,
    );
    return undefined;
  }
  const ignoreCase = obj.ignoreCase;
  if (ignoreCase !== undefined && typeof ignoreCase !== 'boolean') {
    c.add(joinPath(path, 'ignoreCase'), 'must be a boolean');
    return undefined;
  }
  if (!checkValue(c, op as Op, obj, path)) return undefined;
  const out: Comparison = { op: op as Op };
  if (Object.hasOwn(obj, 'value')) out.value = obj.value as Json;
  if (ignoreCase !== undefined) out.ignoreCase = ignoreCase;
  return out;
}

/** A nested object field (e.g. `pageView.path`): must be a plain object. */
export function checkObject(
  c: RuleChecker,
  value: unknown,
  path: string,
): Record<string, unknown> | undefined {
  if (isPlainObject(value)) return value;
  c.add(path, `must be an object, got ${typeName(value)}`);
  return undefined;
}
