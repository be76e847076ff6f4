import { describe, expect, it } from 'vitest';
import { validateAudienceRule } from './audience-validate.js';
import cases from './cases/audience-validate.json' with { type: 'json' };

interface ValidateCase {
  name: string;
  rule: unknown;
  /** `rule`: the cleaned rule when given; `errors`: paths in order, messages as substrings. */
  expected:
    | { ok: true; rule?: unknown }
    | { ok: false; errors: Array<{ path: string; message: string }> };
}

describe('validateAudienceRule', () => {
  it.each(cases as ValidateCase[])('$name', ({ rule, expected }) => {
    const before = structuredClone(rule);
    const result = validateAudienceRule(rule);
    expect(rule).toEqual(before);
    if (expected.ok) {
      expect(result).toMatchObject({ ok: true });
      if (expected.rule !== undefined && result.ok) expect(result.rule).toEqual(expected.rule);
      return;
    }
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path)).toEqual(expected.errors.map((e) => e.path));
    expected.errors.forEach((e, i) => {
      expect(result.errors[i]!.message).toContain(e.message);
    });
  });

  it('rejects a rule whose JSON carries an own __proto__ key as an unknown key', () => {
    const rule: unknown = JSON.parse('{"trait":"a","op":"exists","__proto__":{"polluted":true}}');
    const result = validateAudienceRule(rule);
    expect(result).toMatchObject({ ok: false, errors: [{ path: '__proto__' }] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('returns a copy that shares nothing mutable with the input', () => {
    const rule = { all: [{ trait: 'tags', op: 'in', value: ['a', 'b'] }] };
    const result = validateAudienceRule(rule);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.rule).not.toBe(rule);
  });
});
