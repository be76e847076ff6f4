/**
 * Validation of consent, preference and policy changes, shared by every surface that records
 * them. Each problem names its field (relative to the input object, `attachedTo.value`), so a
 * surface can report all of them at once. Valid input comes back normalized: emails lower-cased,
 * phone numbers without spaces or punctuation, times as epoch ms.
 */
import {
  CONSENT_STATES,
  type ConsentAttachment,
  type ConsentRecord,
  type ConsentState,
  type PreferenceRecord,
} from './consent-types.js';
import {
  attachment,
  expiry,
  Issues,
  ip,
  name,
  text,
  unknownKeys,
  type Validated,
} from './consent-validate-fields.js';
import { isPlainObject } from './json-value.js';

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

/** Frequencies: `immediate`, `daily`, `weekly`, `monthly`, or any other lower-case token. */
const FREQUENCY = /^[a-z][a-z0-9_-]{0,39}$/;

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
