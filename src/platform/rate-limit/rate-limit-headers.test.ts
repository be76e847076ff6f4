import { describe, expect, it } from 'vitest';
import { rateLimitHeaders } from './rate-limit-headers.js';
import { DEFAULT_CREDENTIAL_POLICY as API } from './rate-limiter.js';
import { takeTokens } from './token-bucket.js';

describe('rateLimitHeaders', () => {
  it('advertises the limit, what is left and the policy on an allowed request', () => {
    const { decision } = takeTokens(undefined, API, 0);
    expect(rateLimitHeaders(decision, API)).toEqual({
      'RateLimit-Limit': '500',
      'RateLimit-Remaining': '499',
      'RateLimit-Reset': '1',
      'RateLimit-Policy': '500;w=5',
    });
  });

  it('adds Retry-After when refused', () => {
    const { decision } = takeTokens({ tokens: 0.5, updatedAt: 0 }, API, 0);
    expect(rateLimitHeaders(decision, API)).toEqual({
      'RateLimit-Limit': '500',
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': '5',
      'RateLimit-Policy': '500;w=5',
      'Retry-After': '1',
    });
  });

  it('rounds the policy window up to whole seconds', () => {
    const policy = { ratePerSecond: 20 / 60, burst: 20 };
    const { decision } = takeTokens(undefined, policy, 0);
    expect(rateLimitHeaders(decision, policy)['RateLimit-Policy']).toBe('20;w=60');
    const fast = { ratePerSecond: 1000, burst: 10 };
    expect(
      rateLimitHeaders(takeTokens(undefined, fast, 0).decision, fast)['RateLimit-Policy'],
    ).toBe('10;w=1');
  });
});
