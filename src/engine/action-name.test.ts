import { describe, expect, it } from 'vitest';
import { actionOf, normalizeAction } from './action-name.js';
import cases from './cases/action-name.json' with { type: 'json' };

interface ActionCase {
  name: string;
  input: string;
  expected: string;
}

describe('normalizeAction', () => {
  it.each(cases as ActionCase[])('$name', ({ input, expected }) => {
    expect(normalizeAction(input)).toBe(expected);
  });
});

describe('actionOf', () => {
  it('names track events by their normalized event name', () => {
    expect(actionOf('track', 'Email Opened')).toBe('email_opened');
  });

  it('names every other event type by the type itself', () => {
    for (const type of ['page', 'screen', 'identify', 'component', 'alias', 'group'] as const) {
      expect(actionOf(type, 'Whatever Name')).toBe(type);
    }
  });
});
