/**
 * Consent and preference state, derived from an append-only history. Pure: the module stores the
 * entries these functions plan, and passes the clock in.
 *
 * Rules:
 * - A change never edits an entry: it appends one (`set`), and the data point's current record is
 *   the newest entry's record ({@link latestPerKey}).
 * - A record whose `expiresAt` has passed reads as expired (a consent's state is `expired`, a
 *   preference is not subscribed), whether or not the lapse was recorded yet. The lapse is itself
 *   an entry (`lapsed`, at the expiry instant), planned once per record: a record that carries
 *   `lapsedAt` owes nothing ({@link lapseOf}).
 * - A consent needs renewal when the environment's current policy version of its purpose is not
 *   the version it was given under.
 */
import type { AudienceRule } from './audience-types.js';
import type {
  ConsentAttachment,
  ConsentRecord,
  ConsentState,
  ConsentView,
  DataPointKey,
  DataPointRecord,
  HistoryDraft,
  MarketingChannel,
  PreferenceRecord,
  PreferenceView,
} from './consent-types.js';

/**
 * The attachment as one string: `person`, `contact:email:<value>`, `contact:phone:<value>`,
 * `device:<id>`, `application:<id>`, `preference:<topic>:<channel>`. Values are stored
 * normalized (see consent-validate-fields.ts), so equal attachments give equal keys.
 */
export function attachmentKey(attachment: ConsentAttachment): string {
  switch (attachment.kind) {
    case 'person':
      return 'person';
    case 'contact':
      return `contact:${attachment.type}:${attachment.value}`;
    case 'device':
    case 'application':
      return `${attachment.kind}:${attachment.id}`;
    case 'preference':
      return `preference:${attachment.topic}:${attachment.channel}`;
  }
}

/** The inverse of {@link attachmentKey} (undefined for a string it never produces). */
export function parseAttachmentKey(key: string): ConsentAttachment | undefined {
  if (key === 'person') return { kind: 'person' };
  const colon = key.indexOf(':');
  if (colon <= 0) return undefined;
  const kind = key.slice(0, colon);
  const rest = key.slice(colon + 1);
  if (rest === '') return undefined;
  if (kind === 'device' || kind === 'application') return { kind, id: rest };
  const second = rest.indexOf(':');
  if (second <= 0 || second === rest.length - 1) return undefined;
  const head = rest.slice(0, second);
  const tail = rest.slice(second + 1);
  if (kind === 'contact' && (head === 'email' || head === 'phone')) {
    return { kind, type: head, value: tail };
  }
  // Topics and channels never contain ':' (see NAME in consent-validate-fields.ts).
  if (kind === 'preference' && !tail.includes(':')) {
    return { kind, topic: head, channel: tail };
  }
  return undefined;
}

/** Which data point a record is about. */
export function dataPointKey(record: DataPointRecord): DataPointKey {
  return record.kind === 'consent'
    ? { kind: 'consent', subject: record.purpose, target: attachmentKey(record.attachedTo) }
    : { kind: 'preference', subject: record.topic, target: record.channel };
}

const keyString = (k: DataPointKey) => `${k.kind}\u0000${k.subject}\u0000${k.target}`;

/** True once the record's expiry has passed (at `expiresAt` itself it has expired). */
export function isExpired(record: DataPointRecord, now: number): boolean {
  return record.lapsedAt !== null || (record.expiresAt !== null && now >= record.expiresAt);
}

/**
 * The `lapsed` entry a record owes at `now`: when its expiry has passed and no lapse was recorded
 * yet. The entry is dated at the expiry instant, so it is the same whenever it is noticed.
 */
export function lapseOf(record: DataPointRecord, now: number): HistoryDraft | null {
  if (record.expiresAt === null || record.lapsedAt !== null || now < record.expiresAt) return null;
  return {
    change: 'lapsed',
    at: record.expiresAt,
    record: { ...record, lapsedAt: record.expiresAt },
  };
}

/**
 * The entries a change appends: the lapse the replaced record owes (so that a lapse is recorded
 * even when a new change supersedes it), then the change itself.
 */
export function planWrite(current: DataPointRecord | null, next: DataPointRecord): HistoryDraft[] {
  const lapse = current ? lapseOf(current, next.at) : null;
  const set: HistoryDraft = { change: 'set', at: next.at, record: next };
  return lapse ? [lapse, set] : [set];
}

/** The current records: per data point, the last one in `records` (pass them oldest first). */
export function latestPerKey<R extends DataPointRecord>(records: readonly R[]): R[] {
  const latest = new Map<string, R>();
  for (const record of records) {
    const key = keyString(dataPointKey(record));
    // Delete first so that the map's order is that of each key's newest record.
    latest.delete(key);
    latest.set(key, record);
  }
  return [...latest.values()];
}

/** The current records a history yields (entries oldest first). */
export function deriveCurrent(history: readonly HistoryDraft[]): DataPointRecord[] {
  return latestPerKey(history.map((entry) => entry.record));
}

/**
 * Checks that `after` only appends to `before`: every earlier entry is still there, unchanged and
 * in place. Returns the index of the first entry that differs (-1 when `after` is an append).
 */
export function firstAlteredEntry(
  before: readonly HistoryDraft[],
  after: readonly HistoryDraft[],
): number {
  if (after.length < before.length) return after.length;
  for (let i = 0; i < before.length; i++) {
    if (JSON.stringify(before[i]) !== JSON.stringify(after[i])) return i;
  }
  return -1;
}

/** A consent as read at `now`, given the current policy version of its purpose. */
export function consentView(
  record: ConsentRecord,
  currentPolicyVersion: string | null,
  now: number,
): ConsentView {
  return {
    purpose: record.purpose,
    attachedTo: record.attachedTo,
    dataPoint: attachmentKey(record.attachedTo),
    state: isExpired(record, now) ? 'expired' : record.state,
    recordedState: record.state,
    policyVersion: record.policyVersion,
    currentPolicyVersion,
    needsRenewal: currentPolicyVersion !== null && currentPolicyVersion !== record.policyVersion,
    source: record.source,
    actor: record.actor,
    ip: record.ip,
    at: record.at,
    expiresAt: record.expiresAt,
    lapsedAt: record.lapsedAt,
  };
}

/** A preference as read at `now`: an expired subscription is not a subscription. */
export function preferenceView(record: PreferenceRecord, now: number): PreferenceView {
  const expired = isExpired(record, now);
  return {
    topic: record.topic,
    channel: record.channel,
    subscribed: record.subscribed && !expired,
    recordedSubscribed: record.subscribed,
    frequency: record.frequency,
    expired,
    source: record.source,
    actor: record.actor,
    ip: record.ip,
    at: record.at,
    expiresAt: record.expiresAt,
    lapsedAt: record.lapsedAt,
  };
}

/**
 * What audience rules see (`AudienceContext.consents`): per purpose, the state of the consent
 * attached to the person. Consents attached to a contact, device, application or preference
 * are narrower than "the person consents to the purpose" and are left out; an expired consent is
 * left out too (not given: it matches no consent condition). Pass current records only.
 */
export function audienceConsents(
  records: readonly ConsentRecord[],
  now: number,
): Record<string, ConsentState> {
  const out: Record<string, ConsentState> = Object.create(null);
  for (const record of records) {
    if (record.attachedTo.kind !== 'person' || isExpired(record, now)) continue;
    out[record.purpose] = record.state;
  }
  return { ...out };
}

/**
 * The 002 document's `marketingPreferences.channels`: one entry per channel that has any
 * preference, subscribed when at least one of its topics is subscribed and not expired; sorted by
 * channel. Pass current records only.
 */
export function marketingChannels(
  records: readonly PreferenceRecord[],
  now: number,
): MarketingChannel[] {
  const channels = new Map<string, boolean>();
  for (const record of records) {
    const subscribed = record.subscribed && !isExpired(record, now);
    channels.set(record.channel, (channels.get(record.channel) ?? false) || subscribed);
  }
  return [...channels.keys()]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((channel) => ({ channel, subscribed: channels.get(channel)! }));
}

/**
 * The purposes a rule's consent conditions name, each once, in rule order. Empty means the rule
 * never reads consents, so evaluating it needs no consent lookup.
 */
export function consentPurposesOf(rule: AudienceRule): string[] {
  const purposes = new Set<string>();
  const visit = (node: AudienceRule): void => {
    if ('all' in node) node.all.forEach(visit);
    else if ('any' in node) node.any.forEach(visit);
    else if ('not' in node) visit(node.not);
    else if ('consent' in node) purposes.add(node.consent);
  };
  visit(rule);
  return [...purposes];
}
