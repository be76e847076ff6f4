import { isPlainObject } from '../../engine/index.js';
import { AppError, type ErrorIssue } from '../../errors/app-error.js';
import { wellFormValues } from '../../lib/json-input.js';

/**
 * Segment's documented limit for the tracking API: 32 KB per event
 * (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/#max-request-size).
 */
export const MAX_EVENT_BYTES = 32 * 1024;
/**
 * Per request: Segment documents 500 KB, and its SDK stays under it; RudderStack's SDK (same
 * wire) sends up to 20 events of 32 KB whatever their total (its data plane takes 4 MB), and
 * drops a batch answered 400. 1 MiB takes what either SDK sends by default.
 */
export const MAX_BATCH_BYTES = 1024 * 1024;

/** The calls of Segment's tracking spec; each also has its own single-event endpoint. */
export const SEGMENT_CALLS = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;
export type SegmentCall = (typeof SEGMENT_CALLS)[number];

type RawObject = Record<string, unknown>;

/** The write key a client put in the body (Segment's SDK sends it there and in the header). */
export function writeKeyOf(body: unknown): string | undefined {
  if (!isPlainObject(body)) return undefined;
  const key = body.writeKey;
  return typeof key === 'string' && key !== '' ? key : undefined;
}

/** Refuses any event above Segment's 32 KB, naming each one, before any work is done on them. */
function assertEventSizes(raws: unknown[]): void {
  const issues: ErrorIssue[] = [];
  raws.forEach((raw, index) => {
    const bytes = Buffer.byteLength(JSON.stringify(raw), 'utf8');
    if (bytes > MAX_EVENT_BYTES) {
      issues.push({
        index,
        field: '',
        message: `event ${index} is ${bytes} bytes; the limit is ${MAX_EVENT_BYTES} bytes (32 KB)`,
      });
    }
  });
  if (issues.length > 0) {
    throw new AppError(
      'body_too_large',
      `${issues.length} event(s) larger than 32 KB: ${issues.map((i) => i.index).join(', ')}.`,
      issues,
    );
  }
}

/** `over` merged onto `base`, key by key and object by object; `over` wins every conflict. */
function mergeUnder(base: RawObject, over: RawObject): RawObject {
  const merged: RawObject = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const under = Object.hasOwn(merged, key) ? merged[key] : undefined;
    const next = isPlainObject(under) && isPlainObject(value) ? mergeUnder(under, value) : value;
    // defineProperty: a client key is data, never a prototype setter.
    Object.defineProperty(merged, key, {
      value: next,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return merged;
}

/**
 * The event as the engine reads it. `writeKey` is a credential, not event data, and `profileId`
 * is not part of Segment's spec: only the native API addresses profiles by Tessera's own id.
 */
function withoutForeignFields(raw: RawObject): RawObject {
  const { writeKey: _writeKey, profileId: _profileId, ...event } = raw;
  return event;
}

/**
 * The raw events of a `POST /v1/batch` body: the batch's `sentAt` goes to events that carry none,
 * and the batch's `context` is merged under each event's own. Anything that is not an object is
 * passed on unchanged, for event validation to report by index.
 */
export function eventsOfBatch(body: { batch: unknown[]; sentAt?: unknown; context?: unknown }) {
  assertEventSizes(body.batch);
  const issues: ErrorIssue[] = [];
  const events = body.batch.map((raw, index) => {
    if (!isPlainObject(raw)) return raw;
    const event = withoutForeignFields(raw);
    if (!SEGMENT_CALLS.includes(event.type as SegmentCall)) {
      issues.push({
        index,
        field: 'type',
        message: `type must be one of: ${SEGMENT_CALLS.join(', ')}`,
      });
    }
    if ((event.sentAt === undefined || event.sentAt === null) && body.sentAt !== undefined) {
      event.sentAt = body.sentAt;
    }
    if (isPlainObject(body.context)) {
      if (event.context === undefined || event.context === null) event.context = body.context;
      else if (isPlainObject(event.context))
        event.context = mergeUnder(body.context, event.context);
    }
    return event;
  });
  if (issues.length > 0) {
    throw new AppError('validation_failed', `${issues.length} problem(s) in the events.`, issues);
  }
  return events;
}

/** The raw event of a single-call endpoint (`POST /v1/track`, …): its type is the path's. */
export function eventOfCall(call: SegmentCall, body: RawObject): unknown {
  assertEventSizes([body]);
  return { ...withoutForeignFields(body), type: call };
}

/** The free-form parts of a tracking call: what `wellFormValues` may mend. */
const FREE_FORM = ['properties', 'traits', 'context'] as const;

/**
 * Mends the free-form values of a batch (or single call) whose strings were cut through an emoji
 * by a client (`'🎉'.slice(0, 1)`): stored, they would become U+FFFD anyway, and refused, they
 * would cost the whole batch, other users' events included. Ids and keys are left to be refused.
 */
export function mendFreeFormValues(body: unknown): void {
  if (!isPlainObject(body)) return;
  const events = Array.isArray(body.batch) ? [body, ...body.batch] : [body];
  for (const event of events) {
    if (!isPlainObject(event)) continue;
    for (const part of FREE_FORM) if (isPlainObject(event[part])) wellFormValues(event[part]);
  }
}
