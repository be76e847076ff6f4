import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateEvent, validateEvents } from './event-validate.js';
import type { ValidationResult } from './types.js';

/** 2023-11-14T22:13:20.000Z */
const RECEIVED_AT = 1_700_000_000_000;

interface ValidateCase {
  name: string;
  /** `raw` is the event; `json` is its JSON text (for keys like `__proto__` that must stay own). */
  input: { raw?: unknown; json?: string; index?: number };
  expected: ValidationResult;
}

// Read with JSON.parse rather than an import: a bundler may turn JSON into an object literal,
// where a `__proto__` key sets the prototype instead of being an own key.
const cases = JSON.parse(
  readFileSync(new URL('./cases/event-validate.json', import.meta.url), 'utf8'),
) as ValidateCase[];

function counterIds(): () => string {
  let n = 0;
  return () => `id-${++n}`;
}

describe('validateEvent', () => {
  it.each(cases)('$name', ({ input, expected }) => {
    const raw = input.json === undefined ? input.raw : JSON.parse(input.json);
    const result = validateEvent(raw, input.index ?? 0, {
      receivedAt: RECEIVED_AT,
      newId: counterIds(),
    });
    expect(result).toEqual(expected);
  });

  it('rejects ids longer than 200 characters', () => {
    const result = validateEvent({ type: 'track', event: 'x', userId: 'u'.repeat(201) }, 0, {
      receivedAt: RECEIVED_AT,
      newId: counterIds(),
    });
    expect(result).toEqual({
      ok: false,
      issues: [{ index: 0, field: 'userId', message: 'userId must be at most 200 characters' }],
    });
  });

  it('rejects objects nested deeper than 32 levels instead of recursing', () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 40; i++) deep = { next: deep };
    const result = validateEvent({ type: 'identify', userId: 'u', traits: deep }, 0, {
      receivedAt: RECEIVED_AT,
      newId: counterIds(),
    });
    expect(result).toEqual({
      ok: false,
      issues: [{ index: 0, field: 'traits', message: 'traits is nested deeper than 32 levels' }],
    });
  });

  it('produces plain objects whose prototype is untouched by __proto__ keys', () => {
    const raw = JSON.parse('{"type":"identify","userId":"u","traits":{"__proto__":{"admin":1}}}');
    const result = validateEvent(raw, 0, { receivedAt: RECEIVED_AT, newId: counterIds() });
    if (!result.ok) throw new Error('expected a valid event');
    const traits = result.event.traits as Record<string, unknown>;
    expect(Object.getPrototypeOf(traits)).toBe(Object.prototype);
    expect(traits.admin).toBeUndefined();
    expect(Object.keys(traits)).toEqual([]);
  });
});

describe('validateEvents', () => {
  it('returns the valid events in order and every issue of every invalid one', () => {
    const newId = counterIds();
    const { events, issues } = validateEvents(
      [
        { type: 'track', event: 'First', anonymousId: 'a' },
        { type: 'track', anonymousId: 'a' },
        { type: 'identify', userId: 'u', traits: { plan: 'pro' } },
        { type: 'alias' },
      ],
      { receivedAt: RECEIVED_AT, newId },
    );
    expect(events.map((e) => [e.action, e.messageId])).toEqual([
      ['first', 'id-1'],
      ['identify', 'id-2'],
    ]);
    expect(issues).toEqual([
      { index: 1, field: 'event', message: 'track events need a non-empty event name' },
      { index: 3, field: 'previousId', message: 'alias events need a previousId' },
      { index: 3, field: 'userId', message: 'alias events need a userId' },
    ]);
    // ids are only spent on valid events
    expect(newId()).toBe('id-3');
  });
});

describe('tracking rules (Segment spec)', () => {
  const bare = [
    { type: 'page', userId: 'u', name: 'Home' },
    { type: 'screen', userId: 'u' },
  ];

  it('accept a page without url/path and a screen without name', () => {
    const { events, issues } = validateEvents(bare, {
      receivedAt: RECEIVED_AT,
      newId: counterIds(),
      rules: 'tracking',
    });
    expect(issues).toEqual([]);
    expect(events.map((e) => [e.type, e.name])).toEqual([
      ['page', 'Home'],
      ['screen', undefined],
    ]);
    expect(events[0]!.properties).toMatchObject({ path: '', url: '' });
  });

  it('are not the Experience API rules, which still require them', () => {
    const { issues } = validateEvents(bare, { receivedAt: RECEIVED_AT, newId: counterIds() });
    expect(issues.map((i) => `${i.index}:${i.field}`)).toEqual([
      '0:properties.path',
      '0:properties.url',
      '1:properties.name',
    ]);
  });
});
