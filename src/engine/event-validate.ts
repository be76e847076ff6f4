/**
 * Event validation and normalization: one raw event (any dialect, already mapped to the Segment /
 * Experience API field names) in, one {@link CanonicalEvent} or a list of issues out.
 *
 * It is deliberately lenient where real SDKs differ from the spec (numeric ids, `userId: ""`,
 * page fields in `context.page`, a screen's top-level `name`) and strict where a wrong value
 * would corrupt a profile (types of ids and objects, required fields per event type). Every
 * object the client sent is deep-copied without prototype-reaching keys.
 */
import { actionOf } from './action-name.js';
import { correctTimestamp } from './clock-skew.js';
import {
  auditTime,
  CONTROL_CHARACTERS,
  type Fail,
  isEventType,
  isPresent,
  MAX_ID_LENGTH,
  readId,
  readName,
  readObject,
  readString,
} from './event-fields.js';
import { type CommonFields, TYPE_RULES } from './event-type-rules.js';
import { getOwn, isPlainObject } from './json-value.js';
import {
  type CanonicalEvent,
  EVENT_TYPES,
  type EventValidationIssue,
  type ValidationResult,
} from './types.js';

/** What validation needs from the request: our receive time and an id generator. */
export interface ValidationContext {
  receivedAt: number;
  newId: () => string;
  /**
   * `experience` (the default) requires what the Experience API document requires of page and
   * screen events; `tracking` follows the Segment spec, where a page's url/path and a screen's
   * name are optional.
   */
  rules?: 'experience' | 'tracking';
}

/**
 * Validates and normalizes one raw event. `index` is its position in the batch (issues name it);
 * `ctx.newId` is only called for a valid event without a messageId. Whether the event names a
 * profile at all (anonymousId / userId / profileId / the request's profile) is the caller's check.
 */
export function validateEvent(
  raw: unknown,
  index: number,
  ctx: ValidationContext,
): ValidationResult {
  if (!isPlainObject(raw)) {
    return { ok: false, issues: [{ index, field: '', message: 'event must be a JSON object' }] };
  }
  const issues: EventValidationIssue[] = [];
  const fail: Fail = (field, message) => issues.push({ index, field, message });

  const type = getOwn(raw, 'type');
  if (!isEventType(type)) fail('type', `type must be one of: ${EVENT_TYPES.join(', ')}`);

  const rawMessageId = getOwn(raw, 'messageId');
  let messageId: string | undefined;
  if (isPresent(rawMessageId)) {
    if (
      typeof rawMessageId === 'string' &&
      rawMessageId.length >= 1 &&
      rawMessageId.length <= MAX_ID_LENGTH &&
      !CONTROL_CHARACTERS.test(rawMessageId)
    ) {
      messageId = rawMessageId;
    } else {
      fail(
        'messageId',
        `messageId must be a string of 1 to ${MAX_ID_LENGTH} characters, without control characters`,
      );
    }
  }

  const anonymousId = readId(raw, 'anonymousId', fail);
  const userId = readId(raw, 'userId', fail);
  const previousId = readId(raw, 'previousId', fail);
  const groupId = readId(raw, 'groupId', fail);
  const profileId = readId(raw, 'profileId', fail);
  const traits = readObject(raw, 'traits', fail);
  const properties = readObject(raw, 'properties', fail);
  const context = readObject(raw, 'context', fail);
  const topName = readString(raw, 'name', fail);
  const rawChannel = readString(raw, 'channel', fail);
  const channel = rawChannel === 'client' ? 'web' : rawChannel;
  const componentType = readString(raw, 'componentType', fail);
  const experienceId = readString(raw, 'experienceId', fail);

  // Required ids: absent, null and "" all count as missing; a wrong type was reported by readId.
  const missing = (key: string): boolean => {
    const value = getOwn(raw, key);
    return !isPresent(value) || value === '';
  };
  let componentId: string | undefined;
  let variantIndex: number | undefined;
  if (type === 'component') {
    if (isPresent(getOwn(raw, 'componentId'))) componentId = readName(raw, 'componentId', fail);
    else fail('componentId', 'component events need a componentId');
    const rawVariant = getOwn(raw, 'variantIndex');
    if (isPresent(rawVariant)) {
      if (typeof rawVariant === 'number' && Number.isInteger(rawVariant) && rawVariant >= 0) {
        variantIndex = rawVariant;
      } else {
        fail('variantIndex', 'variantIndex must be an integer ≥ 0');
      }
    }
  }
  if (type === 'alias' && missing('previousId')) {
    fail('previousId', 'alias events need a previousId');
  }
  if (type === 'alias' && missing('userId')) fail('userId', 'alias events need a userId');
  if (type === 'group' && missing('groupId')) fail('groupId', 'group events need a groupId');

  const lenient = ctx.rules === 'tracking';
  const common: CommonFields = { raw, properties, context, topName, userId, traits, fail, lenient };
  const typed = isEventType(type) ? TYPE_RULES[type](common) : {};
  if (issues.length > 0 || !isEventType(type)) return { ok: false, issues };

  const clientTime = isPresent(getOwn(raw, 'timestamp'))
    ? getOwn(raw, 'timestamp')
    : getOwn(raw, 'originalTimestamp');
  const time = correctTimestamp(
    {
      timestamp: getOwn(raw, 'timestamp'),
      originalTimestamp: getOwn(raw, 'originalTimestamp'),
      sentAt: getOwn(raw, 'sentAt'),
    },
    ctx.receivedAt,
  );

  const event: CanonicalEvent = {
    type,
    messageId: messageId ?? ctx.newId(),
    timestamp: time.timestamp,
    receivedAt: ctx.receivedAt,
    action: actionOf(type, typed.name),
  };
  const optional: Partial<CanonicalEvent> = {
    sentAt: auditTime(getOwn(raw, 'sentAt')),
    // Segment's meaning: the device's own reading of the event time, before correction.
    originalTimestamp: auditTime(clientTime),
    anonymousId,
    userId,
    previousId,
    groupId,
    profileId,
    name: typed.name,
    traits,
    properties: typed.properties,
    context,
    channel,
    componentId,
    componentType,
    experienceId,
    variantIndex,
    warnings: time.warnings.length > 0 ? time.warnings : undefined,
  };
  // Keys are the fixed names above, never a client's: plain assignment is safe.
  const fields = event as unknown as Record<string, unknown>;
  for (const key in optional) {
    const value = optional[key as keyof CanonicalEvent];
    if (value !== undefined) fields[key] = value;
  }
  return { ok: true, event };
}

/**
 * Validates a batch. Valid events are returned in order; the issues of every invalid event are
 * collected (each names its index), so a client sees all its mistakes in one response.
 */
export function validateEvents(
  raws: unknown[],
  ctx: ValidationContext,
): { events: CanonicalEvent[]; issues: EventValidationIssue[] } {
  const events: CanonicalEvent[] = [];
  const issues: EventValidationIssue[] = [];
  raws.forEach((raw, index) => {
    const result = validateEvent(raw, index, ctx);
    if (result.ok) events.push(result.event);
    else issues.push(...result.issues);
  });
  return { events, issues };
}
