import { describe, expect, it } from 'vitest';
import type { ConsentRecord, PreferenceRecord } from '../../engine/consent-types.js';
import { dataPointChange } from './consent-changes.js';

const base = { source: 'web', actor: null, ip: null, at: 1, expiresAt: 5, lapsedAt: null };
const consent: ConsentRecord = {
  ...base,
  kind: 'consent',
  purpose: 'marketing',
  attachedTo: { kind: 'person' },
  state: 'granted',
  policyVersion: 'v1',
};
const preference: PreferenceRecord = {
  ...base,
  kind: 'preference',
  topic: 'news',
  channel: 'email',
  subscribed: true,
  frequency: null,
};

describe('dataPointChange', () => {
  it('states what a change set, and what holds after a lapse', () => {
    expect(dataPointChange('p', 'set', consent).payload).toMatchObject({ state: 'granted' });
    const lapsed = { ...consent, lapsedAt: 5 };
    expect(dataPointChange('p', 'lapsed', lapsed).payload).toEqual({
      purpose: 'marketing',
      state: 'expired',
      policyVersion: 'v1',
      change: 'lapsed',
    });
    expect(dataPointChange('p', 'set', preference).payload).toMatchObject({ subscribed: true });
    expect(dataPointChange('p', 'lapsed', { ...preference, lapsedAt: 5 }).payload).toMatchObject({
      subscribed: false,
      change: 'lapsed',
    });
  });
});
