import { describe, expect, it } from 'vitest';
import type { RateLimitDecision, RateLimitPolicy } from './rate-limiter.js';
import { type BucketState, takeTokens } from './token-bucket.js';

const API: RateLimitPolicy = { ratePerSecond: 100, burst: 500 };
const SLOW: RateLimitPolicy = { ratePerSecond: 1, burst: 20 };
const PER_MINUTE: RateLimitPolicy = { ratePerSecond: 20 / 60, burst: 20 };

/** name, policy, stored state, now (ms), cost, expected decision, tokens left. */
type Case = [
  string,
  RateLimitPolicy,
  BucketState | undefined,
  number,
  number,
  Omit<RateLimitDecision, 'limit'>,
  number,
];

const bucket = (tokens: number, updatedAt = 0): BucketState => ({ tokens, updatedAt });
const ok = (remaining: number, resetSeconds: number) => ({
  allowed: true,
  remaining,
  resetSeconds,
  retryAfterSeconds: 0,
});
const refused = (remaining: number, resetSeconds: number, retryAfterSeconds: number) => ({
  allowed: false,
  remaining,
  resetSeconds,
  retryAfterSeconds,
});

const CASES: Case[] = [
  ['an unknown bucket starts full', API, undefined, 0, 1, ok(499, 1), 499],
  ['an empty bucket refuses', API, bucket(0), 0, 1, refused(0, 5, 1), 0],
  ['one second refills rate tokens', API, bucket(0), 1000, 1, ok(99, 5), 99],
  ['refill is continuous: 5 ms, half a token', API, bucket(0), 5, 1, refused(0, 5, 1), 0.5],
  ['half tokens add up to a whole one', API, bucket(0.5, 5), 10, 1, ok(0, 5), 0],
  ['refill stops at the burst', API, bucket(400), 60_000, 1, ok(499, 1), 499],
  ['a clock stepping back refills nothing', API, bucket(10, 1000), 500, 1, ok(9, 5), 9],
  ['cost > 1 takes that many', API, undefined, 0, 10, ok(490, 1), 490],
  ['the whole burst at once', API, undefined, 0, 500, ok(0, 5), 0],
  ['a refused cost takes nothing', SLOW, bucket(5), 0, 10, refused(5, 15, 5), 5],
  ['retry-after counts the missing part', SLOW, bucket(7.5), 0, 10, refused(7, 13, 3), 7.5],
  ['remaining rounds down, reset up', SLOW, bucket(2.25), 0, 1, ok(1, 19), 1.25],
  ['cost 0 is always allowed', SLOW, bucket(0), 0, 0, ok(0, 20), 0],
  ['20/min: 3 s refills one token', PER_MINUTE, bucket(0), 3000, 1, ok(0, 60), 0],
  [
    '20/min: 2.999 s does not',
    PER_MINUTE,
    bucket(0),
    2999,
    1,
    refused(0, 58, 1),
    0.9996666666666667,
  ],
  ['20/min: an empty bucket waits 3 s', PER_MINUTE, bucket(0), 0, 1, refused(0, 60, 3), 0],
];

describe('takeTokens', () => {
  it.each(CASES)('%s', (_name, policy, state, now, cost, decision, tokens) => {
    const result = takeTokens(state, policy, now, cost);
    expect(result.decision).toEqual({ ...decision, limit: policy.burst });
    expect(result.state.tokens).toBeCloseTo(tokens, 12);
    expect(result.state.updatedAt).toBe(now);
  });

  it('allows exactly the burst, then the refill, and no more', () => {
    let state: BucketState | undefined;
    const run = (now: number, times: number) => {
      let allowed = 0;
      for (let i = 0; i < times; i++) {
        const result = takeTokens(state, API, now);
        state = result.state;
        if (result.decision.allowed) allowed++;
      }
      return allowed;
    };
    expect(run(0, 600)).toBe(500);
    expect(run(1000, 200)).toBe(100);
    expect(run(1250, 200)).toBe(25);
  });

  it('tokens refilled in small steps add up despite float drift', () => {
    // Ten refills of 0.1 sum to 0.9999999999999999: without TOKEN_EPSILON the client would be
    // refused a token it has earned.
    let state: BucketState | undefined = bucket(0);
    for (let now = 100; now < 1000; now += 100) state = takeTokens(state, SLOW, now).state;
    expect(state.tokens).toBeLessThan(1);
    expect(takeTokens(state, SLOW, 1000).decision).toEqual({ ...ok(0, 20), limit: 20 });
  });

  it.each([
    ['a rate of 0', { ratePerSecond: 0, burst: 10 }, 1],
    ['a burst below 1', { ratePerSecond: 1, burst: 0.5 }, 0.5],
    ['a cost above the burst', SLOW, 21],
    ['a negative cost', SLOW, -1],
    ['a NaN cost', SLOW, Number.NaN],
  ])('rejects %s', (_name, policy, cost) => {
    expect(() => takeTokens(undefined, policy, 0, cost)).toThrow(RangeError);
  });
});
