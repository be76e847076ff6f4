import { describe, expect, it } from 'vitest';
import { countingRateLimiter } from '../../test/helpers/counting-rate-limiter.js';
import { MemoryRateLimiter } from './rate-limit/index.js';
import { RequestLimits } from './request-limits.js';

describe('RequestLimits', () => {
  it("asks a shared limiter about an address's failed authentications once a second, a local one every time", async () => {
    const policy = { ratePerSecond: 100, burst: 500 };
    const shared = countingRateLimiter(new MemoryRateLimiter());
    const local = countingRateLimiter(new MemoryRateLimiter());
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
