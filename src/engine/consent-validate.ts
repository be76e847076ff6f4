/**
 * Validation of consent, preference and policy changes, shared by every surface that records
 * them. Each problem names its field (relative to the input object, `attachedTo.value`), so a
 * surface can report all of them at once. Valid input comes back normalized: emails lower-cased,
 * phone numbers without spaces or punctuation, times as epoch ms.
 */
import { parseIsoDate } from './audience-ops.js';
import { attachmentKey, parseAttachmentKey } from './consent-state.js';
import {
  ATTACHMENT_KINDS,
  CONSENT_STATES,
  CONTACT_TYPES,
  type ConsentAttachment,
  type ConsentRecord,
  type ConsentState,
  type PreferenceRecord,
} from './consent-types.js';
import { isPlainObject } from './json-value.js';

export interface FieldIssue {
  field: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldIssue[] };

/** Who, how and until when: what every change carries besides its own fields. */
interface ChangeBase {
  source: string;
  actor: string | null;
  ip: string | null;
  expiresAt: number | null;
}

export interface ConsentChange extends ChangeBase {
  state: ConsentState;
  policyVersion: string;
  attachedTo: ConsentAttachment;
}

export interface PreferenceChange extends ChangeBase {
  subscribed: boolean;
  frequency: string | null;
}

export interface ChangeContext {
  /** The clock: an expiry must lie after it. */
  now: number;
  /** The address the request came from: the default `ip`. */
  requestIp: string | null;
}

/**
 * Purposes, topics and channels: they appear in paths and keys, so a conservative alphabet
 * (no `:` or `/`, no leading punctuation, which also keeps `__proto__` out).
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
/** Frequencies: `immediate`, `daily`, `weekly`, `monthly`, or any other lower-case token. */
const FREQUENCY = /^[a-z][a-z0-9_-]{0,39}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9A-Fa-f:]*:[0-9A-Fa-f:]*(:\d{1,3}(\.\d{1,3}){3})?$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const PHONE = /^\+?[0-9]{3,20}$/;
const TEXT_MAX = 200;

export const CONSENT_LIMITS = { nameMaxLength: 100, textMaxLength: TEXT_MAX } as const;

class Issues {
  readonly list: FieldIssue[] = [];
  add(field: string, message: string): undefined {
    this.list.push({ field, message });
    return undefined;
  }
}

/** Checks a purpose, topic or channel name. */
export function checkName(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (!NAME.test(value)) {
    return 'must be 1-100 letters, digits, `_`, `.` or `-`, starting with a letter or digit';
  }
  return undefined;
}

function name(c: Issues, value: unknown, field: string): string | undefined {
  const problem = checkName(value);
  return problem ? c.add(field, problem) : (value as string);
}

function text(c: Issues, value: unknown, field: string, required: boolean): string | undefined {
  if (value === undefined) return required ? c.add(field, 'is required') : undefined;
  if (value === null && !required) return undefined;
  if (typeof value !== 'string') return c.add(field, 'must be a string');
  const trimmed = value.trim();
  if (trimmed === '') return c.add(field, 'must not be empty');
  if (trimmed.length > TEXT_MAX) return c.add(field, `must be at most ${TEXT_MAX} characters`);
  return trimmed;
}

function ip(c: Issues, value: unknown, field: string): string | undefined {
  if (typeof value !== 'string') return c.add(field, 'must be an IPv4 or IPv6 address');
  const v = value.trim();
  if (!(IPV4.test(v) || (v.length <= 45 && IPV6.test(v) && v.split(':').length >= 3))) {
    return c.add(field, 'must be an IPv4 or IPv6 address');
  }
  return v.toLowerCase();
}

function expiry(c: Issues, value: unknown, field: string, now: number): number | null | undefined {
  if (value === undefined || value === null) return null;
  const at = typeof value === 'string' ? parseIsoDate(value.trim()) : undefined;
  if (at === undefined) return c.add(field, 'must be an ISO 8601 date-time');
  if (at <= now) return c.add(field, 'must be in the future');
  return at;
}

function unknownKeys(c: Issues, obj: Record<string, unknown>, known: string[], prefix = ''): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) c.add(`${prefix}${key}`, 'is not a known field');
  }
}

function attachment(c: Issues, value: unknown): ConsentAttachment | undefined {
  if (value === undefined || value === null) return { kind: 'person' };
  if (!isPlainObject(value)) return c.add('attachedTo', 'must be an object');
  const kind = value.kind;
  if (typeof kind !== 'string' || !(ATTACHMENT_KINDS as readonly string[]).includes(kind)) {
    return c.add('attachedTo.kind', `must be one of ${ATTACHMENT_KINDS.join(', ')}`);
  }
  const fields: Record<string, string[]> = {
    person: ['kind'],
    contact: ['kind', 'type', 'value'],
    device: ['kind', 'id'],
    application: ['kind', 'id'],
    preference: ['kind', 'topic', 'channel'],
  };
  unknownKeys(c, value, fields[kind]!, 'attachedTo.');
  switch (kind) {
    case 'person':
      return { kind };
    case 'contact': {
      const type = value.type;
      const raw = text(c, value.value, 'attachedTo.value', true);
      if (typeof type !== 'string' || !(CONTACT_TYPES as readonly string[]).includes(type)) {
        return c.add('attachedTo.type', `must be one of ${CONTACT_TYPES.join(', ')}`);
      }
      if (raw === undefined) return undefined;
      if (type === 'email') {
        const email = raw.toLowerCase();
        return EMAIL.test(email)
          ? { kind, type, value: email }
          : c.add('attachedTo.value', 'must be an email address');
      }
      const phone = raw.replace(/[\s().-]/g, '');
      return PHONE.test(phone)
        ? { kind, type: 'phone', value: phone }
        : c.add('attachedTo.value', 'must be a phone number (digits, optionally a leading +)');
    }
    case 'device':
    case 'application': {
      const id = text(c, value.id, 'attachedTo.id', true);
      return id === undefined ? undefined : { kind, id };
    }
    default: {
      const topic = name(c, value.topic, 'attachedTo.topic');
      const channel = name(c, value.channel, 'attachedTo.channel');
      return topic && channel ? { kind: 'preference', topic, channel } : undefined;
    }
  }
}

function base(
  c: Issues,
  body: Record<string, unknown>,
  ctx: ChangeContext,
  sourceRequired: boolean,
): Partial<ChangeBase> {
  const source = sourceRequired
    ? text(c, body.source, 'source', true)
    : (text(c, body.source, 'source', false) ?? 'api');
  const actor = text(c, body.actor, 'actor', false) ?? null;
  let address: string | null | undefined = ctx.requestIp;
  if (body.ip === null) address = null;
  else if (body.ip !== undefined) address = ip(c, body.ip, 'ip');
  const expiresAt = expiry(c, body.expiresAt, 'expiresAt', ctx.now);
  return { source, actor, ip: address, expiresAt };
}

/** Validates a consent change for `purpose` (a path name) with `body`. */
export function validateConsentChange(
  purpose: unknown,
  body: unknown,
  ctx: ChangeContext,
): Validated<ConsentChange & { purpose: string }> {
  const c = new Issues();
  const p = name(c, purpose, 'purpose');
  if (!isPlainObject(body))
    return { ok: false, errors: [...c.list, { field: '', message: 'must be an object' }] };
  unknownKeys(c, body, [
    'state',
    'policyVersion',
    'source',
    'actor',
    'ip',
    'expiresAt',
    'attachedTo',
  ]);
  const state = body.state;
  if (typeof state !== 'string' || !(CONSENT_STATES as readonly string[]).includes(state)) {
    c.add('state', `must be one of ${CONSENT_STATES.join(', ')}`);
  }
  const policyVersion = text(c, body.policyVersion, 'policyVersion', true);
  const shared = base(c, body, ctx, true);
  const attachedTo = attachment(c, body.attachedTo);
  if (c.list.length > 0) return { ok: false, errors: c.list };
  return {
    ok: true,
    value: {
      purpose: p!,
      state: state as ConsentState,
      policyVersion: policyVersion!,
      attachedTo: attachedTo!,
      ...(shared as ChangeBase),
    },
  };
}

/** Validates a preference change for `topic` and `channel` (path names) with `body`. */
export function validatePreferenceChange(
  topic: unknown,
  channel: unknown,
  body: unknown,
  ctx: ChangeContext,
): Validated<PreferenceChange & { topic: string; channel: string }> {
  const c = new Issues();
  const t = name(c, topic, 'topic');
  const ch = name(c, channel, 'channel');
  if (!isPlainObject(body))
    return { ok: false, errors: [...c.list, { field: '', message: 'must be an object' }] };
  unknownKeys(c, body, ['subscribed', 'frequency', 'source', 'actor', 'ip', 'expiresAt']);
  if (typeof body.subscribed !== 'boolean') c.add('subscribed', 'must be true or false');
  let frequency: string | null = null;
  if (body.frequency !== undefined && body.frequency !== null) {
    if (typeof body.frequency === 'string' && FREQUENCY.test(body.frequency)) {
      frequency = body.frequency;
    } else {
      c.add('frequency', 'must be a lower-case token such as immediate, daily, weekly or monthly');
    }
  }
  const shared = base(c, body, ctx, false);
  if (c.list.length > 0) return { ok: false, errors: c.list };
  return {
    ok: true,
    value: {
      topic: t!,
      channel: ch!,
      subscribed: body.subscribed as boolean,
      frequency,
      ...(shared as ChangeBase),
    },
  };
}

/** Validates a policy version publication: `{version}` for `purpose`. */
export function validatePolicyVersion(
  purpose: unknown,
  body: unknown,
): Validated<{ purpose: string; version: string }> {
  const c = new Issues();
  const p = name(c, purpose, 'purpose');
  if (!isPlainObject(body))
    return { ok: false, errors: [...c.list, { field: '', message: 'must be an object' }] };
  unknownKeys(c, body, ['version']);
  const version = text(c, body.version, 'version', true);
  if (c.list.length > 0) return { ok: false, errors: c.list };
  return { ok: true, value: { purpose: p!, version: version! } };
}

/** The record a valid consent change yields when recorded at `at`. */
export function consentRecordOf(
  change: ConsentChange & { purpose: string },
  at: number,
): ConsentRecord {
  return {
    kind: 'consent',
    purpose: change.purpose,
    attachedTo: change.attachedTo,
    state: change.state,
    policyVersion: change.policyVersion,
    source: change.source,
    actor: change.actor,
    ip: change.ip,
    at,
    expiresAt: change.expiresAt,
    lapsedAt: null,
  };
}

/** The record a valid preference change yields when recorded at `at`. */
export function preferenceRecordOf(
  change: PreferenceChange & { topic: string; channel: string },
  at: number,
): PreferenceRecord {
  return {
    kind: 'preference',
    topic: change.topic,
    channel: change.channel,
    subscribed: change.subscribed,
    frequency: change.frequency,
    source: change.source,
    actor: change.actor,
    ip: change.ip,
    at,
    expiresAt: change.expiresAt,
    lapsedAt: null,
  };
}

/**
 * A data point as a client writes it in a filter (`contact:email:Ann@Example.com`), normalized
 * the way stored attachments are; undefined when it is not a valid attachment key.
 */
export function normalizeAttachmentKey(key: string): string | undefined {
  const parsed = parseAttachmentKey(key);
  if (!parsed) return undefined;
  const c = new Issues();
  const valid = attachment(c, parsed);
  return valid && c.list.length === 0 ? attachmentKey(valid) : undefined;
}

/** The optional filters of a consent, preference or history read. */
export interface ConsentReadFilter {
  purpose?: string;
  topic?: string;
  channel?: string;
  dataPoint?: string;
  cursor?: string;
}

// History cursors are the UUIDv7 ids of history entries.
const HISTORY_CURSOR = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Checks a read's filters: names as names are checked, a data point normalized, a cursor. */
export function validateReadFilter(query: ConsentReadFilter): Validated<ConsentReadFilter> {
  const errors: FieldIssue[] = [];
  const value: ConsentReadFilter = {};
  for (const field of ['purpose', 'topic', 'channel'] as const) {
    const name = query[field];
    if (name === undefined) continue;
    const problem = checkName(name);
    if (problem) errors.push({ field, message: problem });
    value[field] = name;
  }
  if (query.dataPoint !== undefined) {
    value.dataPoint = normalizeAttachmentKey(query.dataPoint);
    if (value.dataPoint === undefined)
      errors.push({ field: 'dataPoint', message: 'is not a data point' });
  }
  if (query.cursor !== undefined) {
    if (!HISTORY_CURSOR.test(query.cursor))
      errors.push({ field: 'cursor', message: 'is not a cursor this API returned' });
    value.cursor = query.cursor;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value };
}
