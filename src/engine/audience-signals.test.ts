import { describe, expect, it } from 'vitest';
import { actionOf } from './action-name.js';
import { countInWindow, mergeSignals, signalsOf, updateSignals } from './audience-signals.js';
import type { AudienceRule, SignalCounters } from './audience-types.js';
import { validateAudienceRule } from './audience-validate.js';
import cases from './cases/audience-signals.json' with { type: 'json' };
import type { CanonicalEvent, EventType, JsonObject } from './types.js';

interface ShortEvent {
  type: EventType;
  event?: string;
  at: string;
  /** Defaults to `at`; also the `now` of updateSignals unless the case sets one. */
  receivedAt?: string;
  properties?: JsonObject;
}

/** `$i` keys stand for the id of the i-th signal of the case's rules (ids are hashes). */
interface UpdateCase {
  name: string;
  rules: unknown[];
  initial?: SignalCounters;
  events: ShortEvent[];
  now?: string;
  expected: SignalCounters;
}

function validRule(rule: unknown): AudienceRule {
  const validation = validateAudienceRule(rule);
  if (!validation.ok) throw new Error(JSON.stringify(validation.errors));
  return validation.rule;
}

function toEvent(short: ShortEvent, i: number): CanonicalEvent {
  const event: CanonicalEvent = {
    type: short.type,
    messageId: `m-${i}`,
    timestamp: Date.parse(short.at),
    receivedAt: Date.parse(short.receivedAt ?? short.at),
    action: actionOf(short.type, short.event),
  };
  if (short.properties) event.properties = short.properties;
  return event;
}

function resolveIds(counters: SignalCounters, ids: string[]): SignalCounters {
  return Object.fromEntries(
    Object.entries(counters).map(([key, buckets]) => [
      key.startsWith('$') ? ids[Number(key.slice(1))]! : key,
      buckets,
    ]),
  );
}

describe('updateSignals', () => {
  it.each(cases.update as unknown as UpdateCase[])('$name', (c) => {
    const definitions = c.rules.flatMap((rule) => signalsOf(validRule(rule)));
    const ids = [...new Set(definitions.map((d) => d.id))];
    let signals = resolveIds(c.initial ?? {}, ids);
    c.events.forEach((short, i) => {
      const event = toEvent(short, i);
      const before = structuredClone(signals);
      const next = updateSignals(
        signals,
        event,
        definitions,
        c.now ? Date.parse(c.now) : event.receivedAt,
      );
      expect(signals).toEqual(before);
      signals = next;
    });
    expect(signals).toEqual(resolveIds(c.expected, ids));
  });
});

describe('signal ids', () => {
  it.each(cases.ids)('$name', ({ a, b, same }) => {
    const [idA] = signalsOf(validRule(a)).map((s) => s.id);
    const [idB] = signalsOf(validRule(b)).map((s) => s.id);
    if (same) expect(idA).toBe(idB);
    else expect(idA).not.toBe(idB);
  });

  // Stored counters are keyed by these ids: a change in canonicalization orphans them.
  it.each(cases.pinned)('is pinned for $name', ({ rule, id }) => {
    expect(signalsOf(validRule(rule))[0]?.id).toBe(id);
  });
});

describe('countInWindow and mergeSignals', () => {
  const day = 19723; // 2024-01-01
  const now = Date.parse('2024-01-07T18:00:00Z');

  it('sums the days of the window ending today, today included', () => {
    const buckets = { [day]: 1, [day + 3]: 2, [day + 6]: 4, all: 9 };
    expect(countInWindow(buckets, now, 7)).toBe(7);
    expect(countInWindow(buckets, now, 1)).toBe(4);
    expect(countInWindow(buckets, now, 4)).toBe(6);
    expect(countInWindow(buckets, now)).toBe(9);
    expect(countInWindow(undefined, now, 7)).toBe(0);
  });

  it('adds up two profiles’ counters bucket by bucket', () => {
    const a = { s1: { [day]: 1, all: 1 }, s2: { [day]: 2, all: 2 } };
    const b = { s1: { [day]: 3, [day + 1]: 1, all: 4 }, s3: { [day - 400]: 1, all: 1 } };
    expect(mergeSignals(a, b, now)).toEqual({
      s1: { [day]: 4, [day + 1]: 1, all: 5 },
      s2: { [day]: 2, all: 2 },
      s3: { all: 1 },
    });
  });

  it('keeps keys from stored documents as data', () => {
    const b = JSON.parse('{"__proto__": {"all": 1}}') as SignalCounters;
    const merged = mergeSignals({}, b, now);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.hasOwn(merged, '__proto__')).toBe(true);
  });
});
