import { describe, expect, it } from 'vitest';
import { parseIsoTime } from './iso-time.js';

describe('parseIsoTime', () => {
  it.each([
    ['2026-11-22', Date.UTC(2026, 10, 22)],
    ['2026-11-22T10:15', Date.UTC(2026, 10, 22, 10, 15)],
    ['2026-11-22 10:15:30,5', Date.UTC(2026, 10, 22, 10, 15, 30, 500)],
    ['2026-11-22T10:15:30.123Z', Date.UTC(2026, 10, 22, 10, 15, 30, 123)],
    ['2015-08-10T20:11:00-04:00', Date.UTC(2015, 7, 11, 0, 11)],
    ['2015-01-10T20:11:00-0500', Date.UTC(2015, 0, 11, 1, 11)],
  ])('%s', (text, expected) => {
    expect(parseIsoTime(text)).toBe(expected);
  });

  it.each([
    '2026-02-30',
    '2026-13-01',
    '2026-11-22T24:00',
    '2026-11-22T10:60',
    'yesterday',
    '',
    '2026-11-22T10:00+25:00',
  ])('rejects %j', (text) => {
    expect(parseIsoTime(text)).toBeNaN();
  });

  it('demands T, seconds and a dot fraction in strict mode', () => {
    expect(parseIsoTime('2026-11-22T10:15:30', { strictDateTime: true })).toBe(
      Date.UTC(2026, 10, 22, 10, 15, 30),
    );
    for (const text of [
      '2026-11-22',
      '2026-11-22T10:15',
      '2026-11-22 10:15:30',
      '2026-11-22T10:15:30,5',
    ]) {
      expect(parseIsoTime(text, { strictDateTime: true }), text).toBeNaN();
    }
  });
});
