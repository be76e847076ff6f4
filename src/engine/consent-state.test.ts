import { describe, expect, it } from 'vitest';
import type { AudienceRule } from './audience-types.js';
import attachmentCases from './cases/consent-attachment-keys.json' with { type: 'json' };
import historyCases from './cases/consent-history.json' with { type: 'json' };
import purposeCases from './cases/consent-purposes.json' with { type: 'json' };
import {
  attachmentKey,
  audienceConsents,
  consentPurposesOf,
  consentView,
  dataPointKey,
  deriveCurrent,
  firstAlteredEntry,
  lapseOf,
  latestPerKey,
  marketingChannels,
  parseAttachmentKey,
  planWrite,
  preferenceView,
} from './consent-state.js';
import type {
  ConsentAttachment,
  ConsentRecord,
  ConsentState,
  DataPointRecord,
  HistoryDraft,
  PreferenceRecord,
} from './consent-types.js';

/** One step of a scenario: a consent or preference change, or a read (which notices lapses). */
interface Step {
  at: number;
  consent?: {
    purpose: string;
    state: ConsentState;
    policyVersion: string;
    attachedTo?: ConsentAttachment;
    expiresAt?: number;
  };
  preference?: {
    topic: string;
    channel: string;
    subscribed: boolean;
    frequency?: string;
    expiresAt?: number;
  };
  read?: true;
}

interface HistoryCase {
  name: string;
  steps: Step[];
  policies?: Record<string, string>;
  readAt: number;
  expected: {
    history: string[];
    consents?: object[];
    preferences?: object[];
    audienceConsents?: Record<string, ConsentState>;
    marketingChannels?: object[];
  };
}

const base = { source: 'test', actor: null, ip: null, lapsedAt: null };

function recordOf(step: Step): DataPointRecord {
  if (step.consent) {
    const { attachedTo = { kind: 'person' }, expiresAt = null, ...rest } = step.consent;
    return { kind: 'consent', ...base, ...rest, attachedTo, expiresAt, at: step.at };
  }
  const { frequency = null, expiresAt = null, ...rest } = step.preference!;
  return { kind: 'preference', ...base, ...rest, frequency, expiresAt, at: step.at };
}

/** `1000 set consent marketing/person granted`: one line per entry, easy to read in cases. */
function describeEntry(entry: HistoryDraft): string {
  const key = dataPointKey(entry.record);
  const value =
    entry.record.kind === 'consent'
      ? entry.record.state
      : entry.record.subscribed
        ? 'subscribed'
        : 'unsubscribed';
  return `${entry.at} ${entry.change} ${key.kind} ${key.subject}/${key.target} ${value}`;
}

/** Plays the steps the way the consents module does: plan with the engine, append only. */
function play(steps: Step[]): HistoryDraft[] {
  let history: HistoryDraft[] = [];
  for (const step of steps) {
    const current = deriveCurrent(history);
    let drafts: HistoryDraft[];
    if (step.read) {
      drafts = current.flatMap((record) => lapseOf(record, step.at) ?? []);
    } else {
      const next = recordOf(step);
      const key = JSON.stringify(dataPointKey(next));
      const existing = current.find((r) => JSON.stringify(dataPointKey(r)) === key) ?? null;
      drafts = planWrite(existing, next);
    }
    const after = [...history, ...drafts];
    // History is immutable: each step only appends.
    expect(firstAlteredEntry(history, after)).toBe(-1);
    history = after;
  }
  return history;
}

describe('consent and preference history', () => {
  it.each(historyCases as unknown as HistoryCase[])('$name', (c) => {
    const before = structuredClone(c);
    const history = play(c.steps);
    expect(history.map(describeEntry)).toEqual(c.expected.history);
    const current = deriveCurrent(history);
    const consents = current.filter((r): r is ConsentRecord => r.kind === 'consent');
    const preferences = current.filter((r): r is PreferenceRecord => r.kind === 'preference');
    if (c.expected.consents) {
      const views = consents.map((r) => consentView(r, c.policies?.[r.purpose] ?? null, c.readAt));
      expect(views).toMatchObject(c.expected.consents);
      expect(views).toHaveLength(c.expected.consents.length);
    }
    if (c.expected.preferences) {
      const views = preferences.map((r) => preferenceView(r, c.readAt));
      expect(views).toMatchObject(c.expected.preferences);
      expect(views).toHaveLength(c.expected.preferences.length);
    }
    if (c.expected.audienceConsents) {
      expect(audienceConsents(consents, c.readAt)).toEqual(c.expected.audienceConsents);
    }
    if (c.expected.marketingChannels) {
      expect(marketingChannels(preferences, c.readAt)).toEqual(c.expected.marketingChannels);
    }
    expect(c).toEqual(before);
  });

  it('finds an altered, removed or reordered entry', () => {
    const a: HistoryDraft = { change: 'set', at: 1, record: recordOf(historyStep(1, 'granted')) };
    const b: HistoryDraft = { change: 'set', at: 2, record: recordOf(historyStep(2, 'withdrawn')) };
    expect(firstAlteredEntry([a], [a, b])).toBe(-1);
    expect(firstAlteredEntry([a, b], [a])).toBe(1);
    expect(firstAlteredEntry([a, b], [b, a])).toBe(0);
    expect(firstAlteredEntry([a], [{ ...a, at: 5 }, b])).toBe(0);
  });

  it('keeps the newest record per data point, in the order of each point’s last change', () => {
    const first = recordOf(historyStep(1, 'granted'));
    const other = recordOf({
      at: 2,
      preference: { topic: 'news', channel: 'email', subscribed: true },
    });
    const last = recordOf(historyStep(3, 'withdrawn'));
    expect(latestPerKey([first, other, last])).toEqual([other, last]);
  });
});

function historyStep(at: number, state: ConsentState): Step {
  return { at, consent: { purpose: 'marketing', state, policyVersion: 'v1' } };
}

describe('attachment keys', () => {
  it.each(
    attachmentCases as unknown as Array<{
      name: string;
      key: string;
      attachment: ConsentAttachment | null;
    }>,
  )('$name', ({ key, attachment }) => {
    expect(parseAttachmentKey(key) ?? null).toEqual(attachment);
    if (attachment) expect(attachmentKey(attachment)).toBe(key);
  });
});

describe('consentPurposesOf', () => {
  it.each(
    purposeCases as unknown as Array<{ name: string; rule: AudienceRule; expected: string[] }>,
  )('$name', ({ rule, expected }) => {
    expect(consentPurposesOf(rule)).toEqual(expected);
  });
});
