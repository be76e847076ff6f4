import { describe, expect, it } from 'vitest';
import { createRateLimiter, MemoryRateLimiter, RedisRateLimiter } from './index.js';

describe('createRateLimiter', () => {
  it('keeps buckets in memory without a Redis URL', async () => {
    const limiter = createRateLimiter();
    expect(limiter).toBeInstanceOf(MemoryRateLimiter);
    await limiter.close();
  });

  it('uses Redis when given a URL', async () => {
    const limiter = createRateLimiter({
      redisUrl: 'redis://127.0.0.1:6379',
      prefix: 'tessera:test:',
    });
    expect(limiter).toBeInstanceOf(RedisRateLimiter);
    await limiter.close();
  });
});
