/**
 * The comparison operators of audience rules and the value readers they share. Everything here
 * is bounded and total: no regular expression built from user input, a linear-time glob, own
 * properties only, and dates parsed as UTC so that a rule means the same on every server.
 */
import type { Comparison, Scalar } from './audience-types.js';
import { parseIsoTime } from './iso-time.js';
import { FORBIDDEN_KEYS, getOwn, isPlainObject, jsonEqual } from './json-value.js';
import type { Json } from './types.js';

/** Most segments a dot path may have (`a.b.c` has 3). */
export const MAX_PATH_SEGMENTS = 10;

/** Splits a dot path; validation guarantees non-empty segments that are not forbidden keys. */
export function splitPath(path: string): string[] {
  return path.split('.');
}

/** A path that could reach a prototype member: such a segment is rejected when a rule is saved. */
export function hasForbiddenSegment(path: string): boolean {
  return splitPath(path).some((segment) => FORBIDDEN_KEYS.has(segment));
}

/**
 * Reads a dot path through own properties of plain objects (and numeric indexes of arrays), so
 * `constructor` or `toString` never resolve to something inherited.
 */
export function readPath(root: Json | undefined, segments: readonly string[]): Json | undefined {
  let current: Json | undefined = root;
  for (const segment of segments) {
    if (isPlainObject(current)) {
      current = getOwn(current as Record<string, Json>, segment);
    } else if (Array.isArray(current) && /^\d{1,9}$/.test(segment)) {
      const index = Number(segment);
      current = index < current.length ? current[index] : undefined;
    } else {
      return undefined;
    }
    if (current === undefined) return undefined;
  }
  return current;
}

const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** A finite number, or a string that spells one (`"42"`, `" 1.5e3 "`); otherwise undefined. */
export function toNumber(value: Json | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && NUMERIC.test(value)) {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Epoch ms of an ISO-8601 date/date-time string (UTC when no zone), else undefined. */
export function parseIsoDate(text: string): number | undefined {
  const t = parseIsoTime(text);
  return Number.isNaN(t) ? undefined : t;
}

/** A time as epoch ms: a number, a numeric string (epoch ms) or an ISO date string. */
export function toTime(value: Json | undefined): number | undefined {
  const n = toNumber(value);
  if (n !== undefined) return n;
  return typeof value === 'string' ? parseIsoDate(value.trim()) : undefined;
}

/** First index of `needle` in `text` at or after `from`, by Knuth–Morris–Pratt (linear). */
function indexOfLinear(text: string, needle: string, from: number): number {
  if (needle === '') return from;
  const fail = new Array<number>(needle.length).fill(0);
  for (let i = 1, k = 0; i < needle.length; i++) {
    while (k > 0 && needle[i] !== needle[k]) k = fail[k - 1]!;
    if (needle[i] === needle[k]) k++;
    fail[i] = k;
  }
  for (let i = from, k = 0; i < text.length; i++) {
    while (k > 0 && text[i] !== needle[k]) k = fail[k - 1]!;
    if (text[i] === needle[k]) k++;
    if (k === needle.length) return i - needle.length + 1;
  }
  return -1;
}

/**
 * Glob with `*` (any run of characters, possibly empty) as the only wildcard. The literal parts
 * must appear in order; taking the leftmost match of each middle part is always safe for
 * `*`-only patterns, so there is no backtracking: O(text + pattern).
 */
export function globMatch(text: string, pattern: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return text === pattern;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (text.length < first.length + last.length) return false;
  if (!text.startsWith(first) || !text.endsWith(last)) return false;
  let position = first.length;
  const end = text.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i]!;
    const found = indexOfLinear(text, part, position);
    if (found < 0 || found + part.length > end) return false;
    position = found + part.length;
  }
  return true;
}

function fold(text: string, ignoreCase: boolean): string {
  return ignoreCase ? text.toLowerCase() : text;
}

/**
 * Scalar equality with the coercions a rule author expects: strings optionally ignoring case,
 * and a number equal to a string that spells it (`5` = `"5"`), since traits often arrive as
 * strings from forms.
 */
export function scalarEquals(
  actual: Json | undefined,
  expected: Json,
  ignoreCase: boolean,
): boolean {
  if (actual === undefined) return false;
  if (typeof actual === 'string' && typeof expected === 'string') {
    return fold(actual, ignoreCase) === fold(expected, ignoreCase);
  }
  if (typeof actual === 'number' || typeof expected === 'number') {
    const a = toNumber(actual);
    const b = toNumber(expected);
    if (a !== undefined && b !== undefined) return a === b;
  }
  return jsonEqual(actual, expected);
}

function contains(actual: Json | undefined, value: Json, ignoreCase: boolean): boolean {
  if (typeof actual === 'string' && typeof value === 'string') {
    return fold(actual, ignoreCase).includes(fold(value, ignoreCase));
  }
  if (Array.isArray(actual)) return actual.some((item) => scalarEquals(item, value, ignoreCase));
  return false;
}

function isIn(actual: Json | undefined, list: Json, ignoreCase: boolean): boolean {
  if (!Array.isArray(list) || actual === undefined || actual === null) return false;
  const items = Array.isArray(actual) ? actual : [actual];
  return items.some((item) => list.some((candidate) => scalarEquals(item, candidate, ignoreCase)));
}

function stringTest(
  actual: Json | undefined,
  value: Json | undefined,
  ignoreCase: boolean,
  test: (text: string, pattern: string) => boolean,
): boolean {
  if (typeof actual !== 'string' || typeof value !== 'string') return false;
  return test(fold(actual, ignoreCase), fold(value, ignoreCase));
}

function numeric(
  actual: Json | undefined,
  value: Json | undefined,
  test: (a: number, b: number) => boolean,
): boolean {
  const a = toNumber(actual);
  const b = toNumber(value);
  return a !== undefined && b !== undefined && test(a, b);
}

function between(actual: Json | undefined, range: Json | undefined): boolean {
  if (!Array.isArray(range) || range.length !== 2) return false;
  const [low, high] = range;
  // Two numbers compare numerically; otherwise the bounds are dates.
  const read = typeof low === 'number' && typeof high === 'number' ? toNumber : toTime;
  const a = read(actual);
  const lo = read(low);
  const hi = read(high);
  return a !== undefined && lo !== undefined && hi !== undefined && a >= lo && a <= hi;
}

function timeTest(
  actual: Json | undefined,
  value: Json | undefined,
  test: (a: number, b: number) => boolean,
): boolean {
  const a = toTime(actual);
  const b = toTime(value);
  return a !== undefined && b !== undefined && test(a, b);
}

/** True when a value counts as present: anything but undefined and null. */
export function isPresent(value: Json | undefined): boolean {
  return value !== undefined && value !== null;
}

/**
 * Applies one comparison to an actual value (undefined: not set). Negative operators
 * (notExists, notEquals, notIn) are the exact negation of their positive form, so they hold
 * for a missing value.
 */
export function compare(comparison: Comparison, actual: Json | undefined): boolean {
  const { op, value } = comparison;
  const ignoreCase = comparison.ignoreCase === true;
  switch (op) {
    case 'exists':
      return isPresent(actual);
    case 'notExists':
      return !isPresent(actual);
    case 'equals':
      return value !== undefined && scalarEquals(actual, value, ignoreCase);
    case 'notEquals':
      return !(value !== undefined && scalarEquals(actual, value, ignoreCase));
    case 'contains':
      return value !== undefined && contains(actual, value as Scalar, ignoreCase);
    case 'startsWith':
      return stringTest(actual, value, ignoreCase, (a, b) => a.startsWith(b));
    case 'endsWith':
      return stringTest(actual, value, ignoreCase, (a, b) => a.endsWith(b));
    case 'glob':
      return stringTest(actual, value, ignoreCase, globMatch);
    case 'in':
      return value !== undefined && isIn(actual, value, ignoreCase);
    case 'notIn':
      return !(value !== undefined && isIn(actual, value, ignoreCase));
    case 'gt':
      return numeric(actual, value, (a, b) => a > b);
    case 'gte':
      return numeric(actual, value, (a, b) => a >= b);
    case 'lt':
      return numeric(actual, value, (a, b) => a < b);
    case 'lte':
      return numeric(actual, value, (a, b) => a <= b);
    case 'between':
      return between(actual, value);
    case 'before':
      return timeTest(actual, value, (a, b) => a < b);
    case 'after':
      return timeTest(actual, value, (a, b) => a > b);
  }
}
