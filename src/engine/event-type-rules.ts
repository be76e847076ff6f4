/**
 * The per-type part of event validation: which fields each event type requires and how the
 * type-specific fields (name, properties) are normalized.
 */
import {
  type Fail,
  isPresent,
  MAX_ID_LENGTH,
  nonEmptyString,
  type RawObject,
  readString,
} from './event-fields.js';
import { getOwn } from './json-value.js';
import { contextPageOf, readPageFields } from './page-context.js';
import type { EventType, JsonObject } from './types.js';

/** The type-specific part of an event, produced by one of the per-type rules below. */
export interface TypedFields {
  name?: string;
  properties?: JsonObject;
}

/** Fields every rule may look at, already read and sanitized. */
export interface CommonFields {
  raw: RawObject;
  properties: JsonObject | undefined;
  context: JsonObject | undefined;
  topName: string | undefined;
  userId: string | undefined;
  traits: JsonObject | undefined;
  fail: Fail;
  /** Segment-spec leniency: a page's url/path and a screen's name may be absent. */
  lenient: boolean;
}

function pageRule(f: CommonFields): TypedFields {
  const props = f.properties ?? {};
  const mistyped = new Set<string>();
  for (const key of ['path', 'url', 'referrer', 'search']) {
    const value = getOwn(props, key);
    if (isPresent(value) && typeof value !== 'string') {
      mistyped.add(key);
      f.fail(`properties.${key}`, `properties.${key} must be a string`);
    }
  }
  const page = readPageFields(f.properties, contextPageOf(f.context));
  if (page.path === undefined && !mistyped.has('path') && !f.lenient) {
    f.fail('properties.path', 'page events need properties.path (or context.page.path)');
  }
  if (page.url === undefined && !mistyped.has('url') && !f.lenient) {
    f.fail('properties.url', 'page events need properties.url (or context.page.url)');
  }
  const properties: JsonObject = {
    ...props,
    path: page.path ?? '',
    url: page.url ?? '',
    referrer: page.referrer,
    search: page.search,
    query: page.query,
  };
  // Segment's page `category` is top-level; keep it where audience rules can see it.
  const category = getOwn(f.raw, 'category');
  if (typeof category === 'string' && getOwn(props, 'category') === undefined) {
    properties.category = category;
  }
  const name =
    nonEmptyString(f.topName) ??
    nonEmptyString(getOwn(props, 'name')) ??
    nonEmptyString(getOwn(props, 'title'));
  return name === undefined ? { properties } : { name, properties };
}

function screenRule(f: CommonFields): TypedFields {
  const props = f.properties ?? {};
  const name = nonEmptyString(f.topName) ?? nonEmptyString(getOwn(props, 'name'));
  if (name === undefined) {
    if (f.lenient) return f.properties === undefined ? {} : { properties: f.properties };
    f.fail('properties.name', 'screen events need properties.name (or name)');
    return {};
  }
  // The Experience API reads the screen name from properties.name; Segment sends it top-level.
  const properties: JsonObject = { ...props };
  if (nonEmptyString(getOwn(props, 'name')) === undefined) properties.name = name;
  return { name, properties };
}

function trackRule(f: CommonFields): TypedFields {
  const event = getOwn(f.raw, 'event');
  if (typeof event !== 'string' || event.trim() === '') {
    f.fail('event', 'track events need a non-empty event name');
    return {};
  }
  if (event.length > MAX_ID_LENGTH) {
    f.fail('event', `event must be at most ${MAX_ID_LENGTH} characters`);
    return {};
  }
  return f.properties === undefined ? { name: event } : { name: event, properties: f.properties };
}

function identifyRule(f: CommonFields): TypedFields {
  if (f.userId === undefined && f.traits === undefined && getOwn(f.raw, 'traits') === undefined) {
    f.fail('traits', 'identify events need traits or a userId');
  }
  return f.properties === undefined ? {} : { properties: f.properties };
}

/**
 * Component-view details that CanonicalEvent has no field for (`viewDurationMs`, `viewId`) go
 * into properties so they are not lost.
 */
function componentRule(f: CommonFields): TypedFields {
  const properties: JsonObject = { ...(f.properties ?? {}) };
  const duration = getOwn(f.raw, 'viewDurationMs');
  if (isPresent(duration)) {
    if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 0) {
      f.fail('viewDurationMs', 'viewDurationMs must be a number ≥ 0');
    } else if (getOwn(properties, 'viewDurationMs') === undefined) {
      properties.viewDurationMs = duration;
    }
  }
  const viewId = readString(f.raw, 'viewId', f.fail);
  if (viewId !== undefined && getOwn(properties, 'viewId') === undefined) {
    properties.viewId = viewId;
  }
  const hasAny = f.properties !== undefined || Object.keys(properties).length > 0;
  return hasAny ? { properties } : {};
}

function passThroughRule(f: CommonFields): TypedFields {
  return f.properties === undefined ? {} : { properties: f.properties };
}

/** The rule for each event type. */
export const TYPE_RULES: Record<EventType, (f: CommonFields) => TypedFields> = {
  page: pageRule,
  screen: screenRule,
  track: trackRule,
  identify: identifyRule,
  component: componentRule,
  alias: passThroughRule,
  group: passThroughRule,
};
