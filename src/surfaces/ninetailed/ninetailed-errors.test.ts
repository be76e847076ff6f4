import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors/app-error.js';
import { ERROR_CATALOG, type ErrorCode } from '../../errors/error-catalog.js';
import { mapAppError } from './ninetailed-errors.js';
import { presentLocation, presentSession, randomOf } from './ninetailed-presenter.js';

describe('mapAppError: catalog codes → Experience API codes', () => {
  const expected: Partial<Record<ErrorCode, [number, string]>> = {
    validation_failed: [400, 'ERR_INVALID_DATA'],
    invalid_json: [400, 'ERR_INVALID_DATA'],
    json_too_deep: [400, 'ERR_INVALID_DATA'],
    identity_conflict: [400, 'ERR_INVALID_DATA'],
    body_too_large: [413, 'ERR_INVALID_DATA'],
    unsupported_media_type: [415, 'ERR_INVALID_DATA'],
    profile_not_found: [404, 'ERR_PROFILE_NOT_FOUND'],
    rate_limited: [429, 'ERR_PROFILE_OVERLOAD'],
    profile_overloaded: [429, 'ERR_PROFILE_OVERLOAD'],
    internal_error: [500, 'ERR_INTERNAL_SERVER_ERROR'],
    unavailable: [503, 'ERR_INTERNAL_SERVER_ERROR'],
  };

  it.each(Object.entries(expected))('%s', (code, [status, wire]) => {
    expect(mapAppError(new AppError(code as ErrorCode))).toEqual({ status, code: wire });
  });

  it('never answers a server error as a client error, nor the reverse', () => {
    for (const code of Object.keys(ERROR_CATALOG) as ErrorCode[]) {
      const { status } = mapAppError(new AppError(code));
      expect(status >= 500, code).toBe(ERROR_CATALOG[code].status >= 500);
    }
  });
});

describe('presenter', () => {
  it('derives a stable random in [0, 1) from the id', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `id-${i}`);
    for (const id of ids) {
      expect(randomOf(id)).toBeGreaterThanOrEqual(0);
      expect(randomOf(id)).toBeLessThan(1);
      expect(randomOf(id)).toBe(randomOf(id));
    }
    expect(new Set(ids.map(randomOf)).size).toBe(ids.length);
  });

  it('shows a profile without a session as an empty first visit', () => {
    expect(presentSession(null)).toEqual({
      id: '',
      isReturningVisitor: false,
      landingPage: { path: '', url: '', query: {}, referrer: '', search: '' },
      count: 0,
      activeSessionLength: 0,
      averageSessionLength: 0,
    });
  });

  it('keeps only country codes the SDKs accept', () => {
    expect(presentLocation({ city: 'Berlin', countryCode: 'DE' })).toEqual({
      city: 'Berlin',
      countryCode: 'DE',
    });
    for (const countryCode of ['XX', 'EU', 'T1', 'de']) {
      expect(presentLocation({ city: 'X', countryCode })).toEqual({ city: 'X' });
    }
  });
});
