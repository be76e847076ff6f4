/** Field checks shared by the consent validators: names, texts, IPs, expiries, attachments. */
import { parseIsoDate } from './audience-ops.js';
import { ATTACHMENT_KINDS, CONTACT_TYPES, type ConsentAttachment } from './consent-types.js';
import { isPlainObject } from './json-value.js';

export interface FieldIssue {
  field: string;
  message: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldIssue[] };

/**
 * Purposes, topics and channels: they appear in paths and keys, so a conservative alphabet
 * (no `:` or `/`, no leading punctuation, which also keeps `__proto__` out).
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9A-Fa-f:]*:[0-9A-Fa-f:]*(:\d{1,3}(\.\d{1,3}){3})?$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const PHONE = /^\+?[0-9]{3,20}$/;
const TEXT_MAX = 200;

export const CONSENT_LIMITS = { nameMaxLength: 100, textMaxLength: TEXT_MAX } as const;

/** Collects the problems of one input, each with its field. */
export class Issues {
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

/** A purpose, topic or channel name; undefined (and recorded) when invalid. */
export function name(c: Issues, value: unknown, field: string): string | undefined {
  const problem = checkName(value);
  return problem ? c.add(field, problem) : (value as string);
}

/** A trimmed, non-empty, bounded string; undefined when absent and optional, or invalid. */
export function text(
  c: Issues,
  value: unknown,
  field: string,
  required: boolean,
): string | undefined {
  if (value === undefined) return required ? c.add(field, 'is required') : undefined;
  if (value === null && !required) return undefined;
  if (typeof value !== 'string') return c.add(field, 'must be a string');
  const trimmed = value.trim();
  if (trimmed === '') return c.add(field, 'must not be empty');
  if (trimmed.length > TEXT_MAX) return c.add(field, `must be at most ${TEXT_MAX} characters`);
  return trimmed;
}

/** An IPv4 or IPv6 address, lower-cased. */
export function ip(c: Issues, value: unknown, field: string): string | undefined {
  if (typeof value !== 'string') return c.add(field, 'must be an IPv4 or IPv6 address');
  const v = value.trim();
  if (!(IPV4.test(v) || (v.length <= 45 && IPV6.test(v) && v.split(':').length >= 3))) {
    return c.add(field, 'must be an IPv4 or IPv6 address');
  }
  return v.toLowerCase();
}

/** An ISO 8601 date-time after `now`, as epoch ms; null when absent. */
export function expiry(
  c: Issues,
  value: unknown,
  field: string,
  now: number,
): number | null | undefined {
  if (value === undefined || value === null) return null;
  const at = typeof value === 'string' ? parseIsoDate(value.trim()) : undefined;
  if (at === undefined) return c.add(field, 'must be an ISO 8601 date-time');
  if (at <= now) return c.add(field, 'must be in the future');
  return at;
}

/** Records every key of `obj` that is not `known`. */
export function unknownKeys(
  c: Issues,
  obj: Record<string, unknown>,
  known: string[],
  prefix = '',
): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) c.add(`${prefix}${key}`, 'is not a known field');
  }
}

/** What a consent is attached to, normalized; the person when absent. */
export function attachment(c: Issues, value: unknown): ConsentAttachment | undefined {
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
