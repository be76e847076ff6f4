import { describe, expect, it } from 'vitest';
import dataPointCases from './cases/consent-data-points.json' with { type: 'json' };
import cases from './cases/consent-validate.json' with { type: 'json' };
import { normalizeAttachmentKey } from './consent-read-filter.js';
import {
  type ChangeContext,
  consentRecordOf,
  preferenceRecordOf,
  validateConsentChange,
  validatePolicyVersion,
  validatePreferenceChange,
} from './consent-validate.js';

interface ValidateCase {
  name: string;
  kind: 'consent' | 'preference' | 'policy';
  purpose?: unknown;
  topic?: unknown;
  channel?: unknown;
  body: unknown;
  ctx?: ChangeContext;
  expected: { ok: boolean; value?: object; errors?: Array<{ field: string; message?: string }> };
}

const defaultCtx: ChangeContext = { now: 1_700_000_000_000, requestIp: '203.0.113.7' };

function run(c: ValidateCase) {
  const ctx = c.ctx ?? defaultCtx;
  if (c.kind === 'consent') return validateConsentChange(c.purpose, c.body, ctx);
  if (c.kind === 'preference') return validatePreferenceChange(c.topic, c.channel, c.body, ctx);
  return validatePolicyVersion(c.purpose, c.body);
}

describe('consent, preference and policy validation', () => {
  it.each(cases as unknown as ValidateCase[])('$name', (c) => {
    const before = structuredClone(c);
    const result = run(c);
    if (c.expected.ok) {
      expect(result).toEqual({ ok: true, value: c.expected.value });
    } else {
      expect(result.ok).toBe(false);
      const errors = result.ok ? [] : result.errors;
      expect(errors).toMatchObject(c.expected.errors ?? []);
      expect(errors).toHaveLength(c.expected.errors?.length ?? 0);
    }
    expect(c).toEqual(before);
  });

  it('turns a valid change into a record that has not lapsed', () => {
    const consent = validateConsentChange(
      'marketing',
      { state: 'granted', policyVersion: 'v1', source: 'web' },
      defaultCtx,
    );
    if (!consent.ok) throw new Error('expected a valid consent');
    expect(consentRecordOf(consent.value, 5)).toMatchObject({
      kind: 'consent',
      at: 5,
      lapsedAt: null,
    });
    const preference = validatePreferenceChange('news', 'email', { subscribed: true }, defaultCtx);
    if (!preference.ok) throw new Error('expected a valid preference');
    expect(preferenceRecordOf(preference.value, 6)).toMatchObject({
      kind: 'preference',
      source: 'api',
      at: 6,
      lapsedAt: null,
    });
  });
});

describe('normalizeAttachmentKey', () => {
  it.each(dataPointCases as Array<{ name: string; input: string; expected: string | null }>)(
    '$name',
    ({ input, expected }) => {
      expect(normalizeAttachmentKey(input) ?? null).toBe(expected);
    },
  );
});
