import { describe, expect, it } from 'vitest';
import { isoTime } from './iso-time.js';

describe('isoTime', () => {
  it('formats exactly as Date#toISOString, across days, years and edge times', () => {
    const samples = [
      0,
      1,
      999,
      1000,
      59_999,
      86_399_999,
      86_400_000,
      951_782_400_000, // 2000-02-29
      1_700_000_000_123,
      Date.now(),
      253_402_300_799_999, // 9999-12-31T23:59:59.999Z
    ];
    for (let i = 0; i < 2000; i++) samples.push(Math.floor(Math.random() * 4_102_444_800_000));
    for (const ms of samples) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it('falls back to Date for times outside years 0000–9999 and fractional ms', () => {
    for (const ms of [-1, -86_400_001, 253_402_300_800_000, 1.5])
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });
});
