import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import { DEFAULT_CREDENTIAL_POLICY as API, type RateLimiter } from './rate-limiter.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';
import { type BucketState, takeTokens } from './token-bucket.js';

// The same behaviour, step for step, from every store: both run on a fake clock here (the Redis
// script accepts one for tests), so the Lua arithmetic is held to the TypeScript reference.

interface Store {
  name: string;
  open(now: () => number): Promise<RateLimiter>;
  cleanup(): Promise<void>;
}

const redisClient = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
const redisPrefix = `tessera:test:${randomUUID()}:`;

const STORES: Store[] = [
  {
    name: 'memory',
    open: async (now) => new MemoryRateLimiter({ now }),
    cleanup: async () => {},
  },
  {
    name: 'redis',
    open: async (now) => {
      if (redisClient.status === 'wait') await redisClient.connect();
      return new RedisRateLimiter({ redis: redisClient, prefix: redisPrefix, clockForTests: now });
    },
    cleanup: async () => {
      const keys = await redisClient.keys(`${redisPrefix}*`);
      if (keys.length > 0) await redisClient.del(...keys);
      await redisClient.quit();
    },
  },
];

describe.each(STORES)('$name rate limiter', (store) => {
  let clock = 1_700_000_000_000;
  const now = () => clock;
  const key = () => randomUUID();

  afterAll(() => store.cleanup());

  it('allows the burst of 500, refuses the 501st, then allows 100 more after 1 s', async () => {
    const limiter = await store.open(now);
    const k = key();
    for (let i = 0; i < 500; i++) expect((await limiter.take(k, API)).allowed).toBe(true);
    expect(await limiter.take(k, API)).toEqual({
      allowed: false,
      limit: 500,
      remaining: 0,
      resetSeconds: 5,
      retryAfterSeconds: 1,
    });
    clock += 1000;
    let allowed = 0;
    for (let i = 0; i < 120; i++) if ((await limiter.take(k, API)).allowed) allowed++;
    expect(allowed).toBe(100);
    await limiter.close();
  });

  it('peek answers what take would, without taking', async () => {
    const limiter = await store.open(now);
    const k = key();
    await limiter.take(k, API, 499);
    const wouldTake = {
      allowed: true,
      limit: 500,
      remaining: 0,
      resetSeconds: 5,
      retryAfterSeconds: 0,
    };
    expect(await limiter.peek(k, API)).toEqual(wouldTake);
    expect(await limiter.peek(k, API)).toEqual(wouldTake);
    expect((await limiter.peek(k, API, 0)).remaining).toBe(1);
    expect((await limiter.peek(k, API, 2)).retryAfterSeconds).toBe(1);
    expect((await limiter.take(k, API)).allowed).toBe(true);
    expect((await limiter.peek(k, API)).allowed).toBe(false);
    await limiter.close();
  });

  it('keeps keys apart', async () => {
    const limiter = await store.open(now);
    const [a, b] = [key(), key()];
    await limiter.take(a, API, 500);
    expect((await limiter.take(a, API)).allowed).toBe(false);
    expect((await limiter.take(b, API)).remaining).toBe(499);
    await limiter.close();
  });

  it('matches the reference arithmetic over a random walk of times and costs', async () => {
    const limiter = await store.open(now);
    const k = key();
    const policy = { ratePerSecond: 7, burst: 30 };
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    let state: BucketState | undefined;
    for (let i = 0; i < 300; i++) {
      clock += Math.floor(random() * 400);
      const cost = 1 + Math.floor(random() * 6);
      const expected = takeTokens(state, policy, clock, cost);
      state = expected.state;
      expect(await limiter.take(k, policy, cost)).toEqual(expected.decision);
    }
    await limiter.close();
  });
});
