import { describe, expect, it } from 'vitest';
import cases from './cases/clock-skew.json' with { type: 'json' };
import { type ClockReadings, correctTimestamp } from './clock-skew.js';

/** 2023-11-14T22:13:20.000Z: every case is received at this instant. */
const RECEIVED_AT = 1_700_000_000_000;

interface ClockCase {
  name: string;
  input: ClockReadings;
  /** `timestamp` as an ISO string, for readable cases. */
  expected: { timestamp: string; warnings: string[] };
}

describe('correctTimestamp', () => {
  it.each(cases as ClockCase[])('$name', ({ input, expected }) => {
    const result = correctTimestamp(input, RECEIVED_AT);
    expect(new Date(result.timestamp).toISOString()).toBe(expected.timestamp);
    expect(result.warnings).toEqual(expected.warnings);
  });
});
