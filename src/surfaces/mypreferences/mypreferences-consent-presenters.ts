import {
  type ConsentReadFilter,
  normalizeAttachmentKey,
  validateReadFilter,
} from '../../engine/consent-read-filter.js';
import type {
  ConsentAttachment,
  ConsentRecord,
  ConsentView,
  PreferenceRecord,
  PreferenceView,
  RecordBase,
} from '../../engine/consent-types.js';
import { checkName } from '../../engine/consent-validate-fields.js';
import { AppError, type ErrorIssue } from '../../errors/app-error.js';
import type { HistoryRow } from '../../modules/consents/consent-store.js';

/** Consent state → the 004 dialect's PascalCase JSON (times ISO 8601), and query checks. */

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function presentAttachment(a: ConsentAttachment): { Type: string; Value: string | null } {
  switch (a.kind) {
    case 'person':
      return { Type: 'Profile', Value: null };
    case 'contact':
      return { Type: 'ContactElement', Value: a.value };
    case 'device':
      return { Type: 'Device', Value: a.id };
    case 'application':
      return { Type: 'Application', Value: a.id };
    case 'preference':
      return { Type: 'Preference', Value: `${a.topic}:${a.channel}` };
  }
}

const common = (r: RecordBase) => ({
  Source: r.source,
  CollectedAt: iso(r.at),
  CollectedBy: r.actor,
  IpAddress: r.ip,
  ExpiresAt: iso(r.expiresAt),
  LapsedAt: iso(r.lapsedAt),
});

export function presentConsentView(v: ConsentView) {
  return {
    Purpose: v.purpose,
    Status: capital(v.state),
    RecordedStatus: capital(v.recordedState),
    PolicyVersion: v.policyVersion,
    CurrentPolicyVersion: v.currentPolicyVersion,
    NeedsRenewal: v.needsRenewal,
    AttachedTo: presentAttachment(v.attachedTo),
    DataPoint: v.dataPoint,
    ...common(v),
  };
}

export function presentPreferenceView(v: PreferenceView) {
  return {
    Topic: v.topic,
    Channel: v.channel,
    Subscribed: v.subscribed,
    RecordedSubscribed: v.recordedSubscribed,
    Frequency: v.frequency,
    Expired: v.expired,
    ...common(v),
  };
}

function presentConsentRecord(r: ConsentRecord, lapsed: boolean) {
  return {
    Type: 'Consent',
    Purpose: r.purpose,
    Status: lapsed ? 'Expired' : capital(r.state),
    RecordedStatus: capital(r.state),
    PolicyVersion: r.policyVersion,
    AttachedTo: presentAttachment(r.attachedTo),
  };
}

function presentPreferenceRecord(r: PreferenceRecord, lapsed: boolean) {
  return {
    Type: 'Preference',
    Topic: r.topic,
    Channel: r.channel,
    Subscribed: lapsed ? false : r.subscribed,
    RecordedSubscribed: r.subscribed,
    Frequency: r.frequency,
  };
}

/** One history entry: the record after the change; a lapse reads as expired / unsubscribed. */
export function presentHistoryEntry(e: HistoryRow) {
  const lapsed = e.change === 'lapsed';
  return {
    HistoryId: e.id,
    Change: lapsed ? 'Lapsed' : 'Set',
    ChangedAt: new Date(e.at).toISOString(),
    RecordedAt: new Date(e.recordedAt).toISOString(),
    ProfileId: e.profileId,
    ...(e.record.kind === 'consent'
      ? presentConsentRecord(e.record, lapsed)
      : presentPreferenceRecord(e.record, lapsed)),
    ...common(e.record),
  };
}

function invalid(issues: ErrorIssue[]): AppError {
  return new AppError('validation_failed', `${issues[0]!.field} ${issues[0]!.message}`, issues);
}

/** Query filters, checked with the engine's rules (a bad name or cursor is a 400). */
export type HistoryQueryInput = ConsentReadFilter;

export function checkFilters(query: HistoryQueryInput): HistoryQueryInput {
  const checked = validateReadFilter(query);
  if (!checked.ok) throw invalid(checked.errors);
  return checked.value;
}

/**
 * `dataPoint` of the combined history route: `Consent:<Purpose>[:<attachment>]` or
 * `Preference:<Topic>[:<Channel>]`, where `<attachment>` is a consent data point (`person`,
 * `contact:email:<address>`, `device:<id>`, ...).
 */
export function parseDataPoint(value: string): {
  kind: 'consent' | 'preference';
  subject: string;
  target?: string;
} {
  const [head, subject, ...rest] = value.split(':');
  const kind = head === 'Consent' ? 'consent' : head === 'Preference' ? 'preference' : undefined;
  const bad = () =>
    invalid([
      {
        field: 'dataPoint',
        message: 'must be `Consent:<Purpose>[:<data point>]` or `Preference:<Topic>[:<Channel>]`',
      },
    ]);
  if (!kind || subject === undefined || checkName(subject)) throw bad();
  if (rest.length === 0) return { kind, subject };
  const tail = rest.join(':');
  if (kind === 'preference') {
    if (rest.length > 1 || checkName(tail)) throw bad();
    return { kind, subject, target: tail };
  }
  const target = normalizeAttachmentKey(tail);
  if (target === undefined) throw bad();
  return { kind, subject, target };
}
