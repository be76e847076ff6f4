/**
 * Helpers for handling client-supplied JSON safely. Client payloads end up as plain objects that
 * we copy, merge and later serialize; a key such as `__proto__` would otherwise rewrite an
 * object's prototype on assignment, and `obj[key]` lookups on plain objects see inherited
 * members (`constructor`, `toString`), so every read of a client-chosen key goes through
 * {@link hasOwn}.
 */
import type { Json, JsonObject } from './types.js';

/** Keys dropped from every client object: they can reach or pollute prototypes. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
]);

/** Nesting depth accepted in client JSON; deeper input is rejected rather than recursed into. */
export const MAX_JSON_DEPTH = 32;

/** Thrown by {@link toJson} when a value nests deeper than {@link MAX_JSON_DEPTH}. */
export class JsonDepthError extends Error {
  constructor() {
    super(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    this.name = 'JsonDepthError';
  }
}

/** True for `{}`-style objects (prototype Object.prototype or null): not arrays, dates, classes. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Own-property check that ignores anything inherited (`constructor`, `toString`, ...). */
export function hasOwn(obj: object, key: string): boolean {
  return Object.hasOwn(obj, key);
}

/** Reads an own property only, so client-chosen keys never resolve to inherited members. */
export function getOwn<T>(obj: Record<string, T>, key: string): T | undefined {
  return hasOwn(obj, key) ? obj[key] : undefined;
}

/**
 * Sets an own data property. Unlike `obj[key] = value`, a key of `__proto__` becomes data instead
 * of replacing the prototype; used where keys come from clients (action names, experience ids).
 */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  // Only `__proto__` is an inherited setter; defining every key would be slow (it is on the
  // hot path), and a plain assignment of any other key creates or updates an own property.
  if (key === '__proto__')
    Object.defineProperty(obj, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else obj[key] = value;
}

/**
 * Deep-copies an unknown value into JSON, the way `JSON.stringify` would see it: forbidden keys,
 * `undefined`, functions and symbols are dropped from objects (become null in arrays), non-finite
 * numbers become null, dates become ISO strings, other class instances are dropped.
 * Returns undefined when the value itself has no JSON form.
 * @throws {JsonDepthError} when nesting exceeds {@link MAX_JSON_DEPTH}.
 */
export function toJson(value: unknown, depth = 0): Json | undefined {
  if (depth > MAX_JSON_DEPTH) throw new JsonDepthError();
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) {
    return value.map((item) => {
      const copy = toJson(item, depth + 1);
      return copy === undefined ? null : copy;
    });
  }
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? null : value.toISOString();
  }
  if (isPlainObject(value)) return toJsonObject(value, depth);
  return undefined;
}

/** {@link toJson} for a plain object: always returns a fresh plain object. */
export function toJsonObject(value: Record<string, unknown>, depth = 0): JsonObject {
  if (depth > MAX_JSON_DEPTH) throw new JsonDepthError();
  const out: JsonObject = {};
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) continue;
    const copy = toJson(value[key], depth + 1);
    if (copy !== undefined) out[key] = copy;
  }
  return out;
}

/** Structural equality of two JSON values (object key order ignored). */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every((key) => hasOwn(b, key) && jsonEqual(a[key], b[key]));
}
