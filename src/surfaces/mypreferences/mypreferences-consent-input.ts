import {
  type ChangeContext,
  type ConsentChange,
  type PreferenceChange,
  validateConsentChange,
  validatePreferenceChange,
} from '../../engine/consent-validate.js';
import type { FieldIssue } from '../../engine/consent-validate-fields.js';
import { isPlainObject } from '../../engine/json-value.js';
import { AppError, type ErrorIssue } from '../../errors/app-error.js';

/**
 * The 004 dialect's consent and preference items (PascalCase) translated into the engine's
 * change shape, so that the rules (names, attachments, expiries) stay the engine's. Every item of
 * a request is checked before any is recorded; problems name the dialect's own fields.
 */

/** The engine's field → the dialect's. */
const FIELD_NAMES: Record<string, string> = {
  purpose: 'Purpose',
  topic: 'Topic',
  channel: 'Channel',
  state: 'Status',
  policyVersion: 'PolicyVersion',
  source: 'Source',
  actor: 'CollectedBy',
  ip: 'IpAddress',
  expiresAt: 'ExpiresAt',
  subscribed: 'Subscribed',
  frequency: 'Frequency',
  attachedTo: 'AttachedTo',
};

const STATUSES: Record<string, string> = {
  Granted: 'granted',
  Denied: 'denied',
  Withdrawn: 'withdrawn',
};

const CONSENT_FIELDS = [
  'Purpose',
  'Status',
  'PolicyVersion',
  'Source',
  'CollectedBy',
  'IpAddress',
  'ExpiresAt',
  'AttachedTo',
];
const PREFERENCE_FIELDS = [
  'Topic',
  'Channel',
  'Subscribed',
  'Frequency',
  'Source',
  'CollectedBy',
  'IpAddress',
  'ExpiresAt',
];

function dialectField(field: string): string {
  if (field.startsWith('attachedTo')) return 'AttachedTo.Value';
  return FIELD_NAMES[field] ?? field;
}

/** Keys the dialect does not know; `CollectedAt` is the server's (the history's order). */
function unknownFields(item: Record<string, unknown>, known: string[]): FieldIssue[] {
  return Object.keys(item)
    .filter((key) => !known.includes(key))
    .map((key) => ({
      field: key,
      message:
        key === 'CollectedAt'
          ? 'is set by the server when the change is recorded'
          : 'is not a known field',
    }));
}

/** `{Type, Value}` → the engine's `attachedTo`, or an issue. */
function attachmentOf(value: unknown): { attachedTo?: unknown; issue?: FieldIssue } {
  if (value === undefined || value === null) return { attachedTo: { kind: 'person' } };
  if (!isPlainObject(value))
    return { issue: { field: 'AttachedTo', message: 'must be an object' } };
  const extra = Object.keys(value).filter((k) => k !== 'Type' && k !== 'Value');
  if (extra.length > 0)
    return { issue: { field: `AttachedTo.${extra[0]}`, message: 'is not a known field' } };
  const v = value.Value;
  switch (value.Type) {
    case 'Profile':
      return { attachedTo: { kind: 'person' } };
    case 'ContactElement':
      return {
        attachedTo: {
          kind: 'contact',
          type: typeof v === 'string' && v.includes('@') ? 'email' : 'phone',
          value: v,
        },
      };
    case 'Device':
      return { attachedTo: { kind: 'device', id: v } };
    case 'Application':
      return { attachedTo: { kind: 'application', id: v } };
    case 'Preference': {
      const [topic, channel, ...rest] = typeof v === 'string' ? v.split(':') : [];
      if (rest.length > 0 || !topic || !channel) {
        return { issue: { field: 'AttachedTo.Value', message: 'must be `Topic:Channel`' } };
      }
      return { attachedTo: { kind: 'preference', topic, channel } };
    }
    default:
      return {
        issue: {
          field: 'AttachedTo.Type',
          message: 'must be one of Profile, ContactElement, Device, Application, Preference',
        },
      };
  }
}

function itemsOf(body: unknown, list: 'Consents' | 'Preferences'): unknown[] {
  const items = isPlainObject(body) ? body[list] : undefined;
  if (!Array.isArray(items) || items.length === 0) {
    throw invalid([{ field: list, message: 'must be a non-empty array' }]);
  }
  return items;
}

function invalid(issues: ErrorIssue[]): AppError {
  return new AppError('validation_failed', `${issues[0]!.field} ${issues[0]!.message}`, issues);
}

/** Checks every item; throws one 400 listing each problem as `Consents[i].Field`. */
function checkAll<T>(
  list: 'Consents' | 'Preferences',
  items: unknown[],
  check: (
    item: Record<string, unknown>,
  ) => { ok: true; value: T } | { ok: false; errors: FieldIssue[] },
): T[] {
  const issues: ErrorIssue[] = [];
  const values: T[] = [];
  items.forEach((item, index) => {
    const prefix = `${list}[${index}]`;
    if (!isPlainObject(item)) {
      issues.push({ field: prefix, message: 'must be an object', index });
      return;
    }
    const result = check(item);
    if (result.ok) values.push(result.value);
    else
      for (const i of result.errors)
        issues.push({ field: `${prefix}.${i.field}`, message: i.message, index });
  });
  if (issues.length > 0) throw invalid(issues);
  return values;
}

function optional(
  item: Record<string, unknown>,
  from: string,
  to: string,
  out: Record<string, unknown>,
) {
  if (item[from] !== undefined) out[to] = item[from];
}

/** `{Consents: [...]}` → engine consent changes (all valid, or a 400). */
export function consentChangesOf(
  body: unknown,
  ctx: ChangeContext,
): Array<ConsentChange & { purpose: string }> {
  return checkAll('Consents', itemsOf(body, 'Consents'), (item) => {
    const issues = unknownFields(item, CONSENT_FIELDS);
    const { attachedTo, issue } = attachmentOf(item.AttachedTo);
    if (issue) issues.push(issue);
    const status = typeof item.Status === 'string' ? STATUSES[item.Status] : undefined;
    if (status === undefined)
      issues.push({ field: 'Status', message: 'must be Granted, Denied or Withdrawn' });
    const change: Record<string, unknown> = { state: status, attachedTo };
    optional(item, 'PolicyVersion', 'policyVersion', change);
    optional(item, 'Source', 'source', change);
    optional(item, 'CollectedBy', 'actor', change);
    optional(item, 'IpAddress', 'ip', change);
    optional(item, 'ExpiresAt', 'expiresAt', change);
    const result = validateConsentChange(item.Purpose, change, ctx);
    if (!result.ok) {
      for (const e of result.errors) {
        // Status problems were reported in the dialect's words above.
        if (e.field !== 'state') issues.push({ field: dialectField(e.field), message: e.message });
      }
    }
    return issues.length > 0 || !result.ok ? { ok: false, errors: issues } : result;
  });
}

/** `{Preferences: [...]}` → engine preference changes (all valid, or a 400). */
export function preferenceChangesOf(
  body: unknown,
  ctx: ChangeContext,
): Array<PreferenceChange & { topic: string; channel: string }> {
  return checkAll('Preferences', itemsOf(body, 'Preferences'), (item) => {
    const issues = unknownFields(item, PREFERENCE_FIELDS);
    const change: Record<string, unknown> = {};
    optional(item, 'Subscribed', 'subscribed', change);
    optional(item, 'Frequency', 'frequency', change);
    optional(item, 'Source', 'source', change);
    optional(item, 'CollectedBy', 'actor', change);
    optional(item, 'IpAddress', 'ip', change);
    optional(item, 'ExpiresAt', 'expiresAt', change);
    const result = validatePreferenceChange(item.Topic, item.Channel, change, ctx);
    if (!result.ok) {
      for (const e of result.errors)
        issues.push({ field: dialectField(e.field), message: e.message });
    }
    return issues.length > 0 || !result.ok ? { ok: false, errors: issues } : result;
  });
}
