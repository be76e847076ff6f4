/**
 * Readers for the scalar and object fields of a raw event. Each reports a problem through `fail`
 * (so one pass collects every issue of an event) and returns the normalized value or undefined.
 */
import { parseClientTime } from './clock-skew.js';
import { getOwn, isPlainObject, JsonDepthError, toJsonObject } from './json-value.js';
import { EVENT_TYPES, type EventType, type JsonObject } from './types.js';

/** Longest accepted id (messageId, anonymousId, userId, ...) and track event name. */
export const MAX_ID_LENGTH = 200;
/** Longer clock strings are not kept for audit: no real client sends them. */
const MAX_AUDIT_TIME_LENGTH = 64;

/** Ids are stored as column values: NUL and other control characters are refused (PostgreSQL cannot store NUL). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Reports a validation problem on a dotted field. */
export type Fail = (field: string, message: string) => void;
/** A raw event: a plain object of unknown values. */
export type RawObject = Record<string, unknown>;

/** null and undefined both mean "not sent": JSON clients use either. */
export function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/**
 * Reads an id field. Numbers become strings (Segment does the same: `userId: 42` is common from
 * server code) and `""` means "not set": the browser SDK sends `userId: ""` for traits-only
 * identifies, and an empty id must never become a claim that everyone shares.
 */
export function readId(raw: RawObject, key: string, fail: Fail): string | undefined {
  const value = getOwn(raw, key);
  if (!isPresent(value)) return undefined;
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else {
    fail(key, `${key} must be a string`);
    return undefined;
  }
  // Blank, like empty (SDKs send `userId: ""` for "none"): an id of spaces names nobody.
  if (text.trim() === '') return undefined;
  if (text.length > MAX_ID_LENGTH) {
    fail(key, `${key} must be at most ${MAX_ID_LENGTH} characters`);
    return undefined;
  }
  if (CONTROL_CHARACTERS.test(text)) {
    fail(key, `${key} must not contain control characters`);
    return undefined;
  }
  return text;
}

/** An optional string field. */
export function readString(raw: RawObject, key: string, fail: Fail): string | undefined {
  const value = getOwn(raw, key);
  if (!isPresent(value)) return undefined;
  if (typeof value === 'string') return value;
  fail(key, `${key} must be a string`);
  return undefined;
}

/** A string that must not be blank when present (event names, component ids). */
export function readName(raw: RawObject, key: string, fail: Fail): string | undefined {
  const value = readString(raw, key, fail);
  if (value === undefined) return undefined;
  if (value.trim() === '') {
    fail(key, `${key} must not be empty`);
    return undefined;
  }
  return value;
}

/** `traits`/`properties`/`context`: absent is fine, anything but a plain object is not. */
export function readObject(raw: RawObject, key: string, fail: Fail): JsonObject | undefined {
  const value = getOwn(raw, key);
  // null means not sent, as for ids: RudderStack's SDK forwards `properties: null` as given.
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) {
    fail(key, `${key} must be an object`);
    return undefined;
  }
  try {
    return toJsonObject(value);
  } catch (error) {
    if (!(error instanceof JsonDepthError)) throw error;
    fail(key, `${key} is ${error.message}`);
    return undefined;
  }
}

/** The client's clock value as sent, kept for audit: strings verbatim, epoch numbers as ISO. */
export function auditTime(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return value.length <= MAX_AUDIT_TIME_LENGTH ? value : undefined;
  }
  const ms = parseClientTime(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** True for one of {@link EVENT_TYPES}. */
export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

/** The value when it is a string with non-blank content, else undefined. */
export function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}
