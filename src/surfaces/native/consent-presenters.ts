import { type ConsentReadFilter, validateReadFilter } from '../../engine/consent-read-filter.js';
import { attachmentKey } from '../../engine/consent-state.js';
import type { ConsentView, PreferenceView } from '../../engine/consent-types.js';
import type { FieldIssue } from '../../engine/consent-validate-fields.js';
import { AppError } from '../../errors/app-error.js';
import type { PolicyVersion } from '../../modules/consents/consent-policies.js';
import type { HistoryRow } from '../../modules/consents/consent-store.js';
import { iso } from './native-presenters.js';

/** Consent state → the native API's JSON (times as ISO 8601), and request checks. */
export type ConsentFilterQuery = ConsentReadFilter;

function invalid(issues: FieldIssue[], prefix: string): AppError {
  return new AppError(
    'validation_failed',
    'The request is not valid.',
    issues.map((i) => ({ field: `${prefix}.${i.field}`, message: i.message })),
  );
}

/** Checks the optional names of a filter, and normalizes a data point key. */
export function filterOf(query: ConsentFilterQuery): ConsentFilterQuery {
  const checked = validateReadFilter(query);
  if (!checked.ok) throw invalid(checked.errors, 'querystring');
  return checked.value;
}

export function presentConsent(v: ConsentView) {
  return { ...v, at: iso(v.at), expiresAt: iso(v.expiresAt), lapsedAt: iso(v.lapsedAt) };
}

export function presentPreference(v: PreferenceView) {
  return { ...v, at: iso(v.at), expiresAt: iso(v.expiresAt), lapsedAt: iso(v.lapsedAt) };
}

export function presentPolicy(p: PolicyVersion) {
  return { purpose: p.purpose, version: p.version, publishedAt: iso(p.publishedAt) };
}

/** A history entry: the record after the change; a lapse reads as expired / not subscribed. */
export function presentEntry(e: HistoryRow) {
  const head = { id: e.id, change: e.change, at: iso(e.at), recordedAt: iso(e.recordedAt) };
  const r = e.record;
  const tail = {
    source: r.source,
    actor: r.actor,
    ip: r.ip,
    expiresAt: iso(r.expiresAt),
    profileId: e.profileId,
  };
  if (r.kind === 'consent') {
    return {
      ...head,
      purpose: r.purpose,
      dataPoint: attachmentKey(r.attachedTo),
      attachedTo: r.attachedTo,
      state: e.change === 'lapsed' ? 'expired' : r.state,
      recordedState: r.state,
      policyVersion: r.policyVersion,
      ...tail,
    };
  }
  return {
    ...head,
    topic: r.topic,
    channel: r.channel,
    subscribed: e.change === 'lapsed' ? false : r.subscribed,
    recordedSubscribed: r.subscribed,
    frequency: r.frequency,
    ...tail,
  };
}

/** Engine issues name path fields (`purpose`, `topic`, `channel`) or body fields. */
export function invalidChange(issues: FieldIssue[]): AppError {
  const path = new Set(['purpose', 'topic', 'channel']);
  return new AppError(
    'validation_failed',
    'The request is not valid.',
    issues.map((i) => ({
      field: path.has(i.field) ? `params.${i.field}` : i.field ? `body.${i.field}` : 'body',
      message: i.message,
    })),
  );
}
