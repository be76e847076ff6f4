import { describe, expect, it } from 'vitest';
import { MemoryRateLimiter, type RateLimiter } from './rate-limit/index.js';
import { RequestLimits } from './request-limits.js';

/** A limiter that counts the questions asked of it. */
function counting() {
  const store = new MemoryRateLimiter();
  const asked = { peeks: 0 };
  const limiter: RateLimiter = {
    take: (key, policy, cost) => store.take(key, policy, cost),
    peek: (key, policy, cost) => {
      asked.peeks++;
      return store.peek(key, policy, cost);
    },
    close: () => store.close(),
  };
  return { limiter, asked };
}

describe('RequestLimits', () => {
  it("asks a shared limiter about an address's failed authentications once a second, a local one every time", async () => {
    const policy = { ratePerSecond: 100, burst: 500 };
    const shared = counting();
    const local = counting();
    const sharedLimits = new RequestLimits(shared.limiter, policy, 20, true);
    const localLimits = new RequestLimits(local.limiter, policy, 20);
    for (let i = 0; i < 5; i++) {
      await sharedLimits.assertAddressAllowed('203.0.113.7');
      await localLimits.assertAddressAllowed('203.0.113.7');
    }
    expect(shared.asked.peeks).toBe(1);
    expect(local.asked.peeks).toBe(5);
    await sharedLimits.close();
    await localLimits.close();
  });
});
