import { describe, expect, it } from 'vitest';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import { DEFAULT_CREDENTIAL_POLICY as API } from './rate-limiter.js';

// The behaviour shared with the Redis store is in rate-limiter-contract.test.ts; these pin down
// what only the in-process Map has to get right: its memory stays bounded.

function limiterAt(options: { maxBuckets?: number; sweepEvery?: number } = {}) {
  const clock = { now: 0 };
  const limiter = new MemoryRateLimiter({ now: () => clock.now, ...options });
  return { clock, limiter };
}

describe('MemoryRateLimiter', () => {
  it('sweeps out buckets that have refilled, and only those', async () => {
    const { clock, limiter } = limiterAt({ sweepEvery: 100 });
    for (let i = 0; i < 5000; i++) await limiter.take(`idle-${i}`, API);
    await limiter.take('drained', API, 500);
    expect(limiter.size).toBe(5001);
    clock.now += 1000; // the idle buckets are full again; 'drained' has 100 of 500 tokens
    for (let i = 0; i < 5001; i++) await limiter.take('hot', API);
    expect(limiter.size).toBe(2);
    expect((await limiter.peek('drained', API, 0)).remaining).toBe(100);
  });

  it('never holds more than maxBuckets under a flood of distinct keys', async () => {
    const { limiter } = limiterAt({ maxBuckets: 1000 });
    let largest = 0;
    for (let i = 0; i < 10_000; i++) {
      await limiter.take(`flood-${i}`, API, 500);
      largest = Math.max(largest, limiter.size);
    }
    expect(largest).toBe(1000);
    // The most recent keys keep their state; the least recently used were forgotten.
    expect((await limiter.peek('flood-9999', API)).allowed).toBe(false);
    expect((await limiter.peek('flood-0', API)).allowed).toBe(true);
  });

  it('evicts full buckets before a busy one, however old it is', async () => {
    const { clock, limiter } = limiterAt({ maxBuckets: 10 });
    await limiter.take('busy', API, 500);
    for (let i = 0; i < 9; i++) await limiter.take(`light-${i}`, API);
    clock.now += 100; // light buckets are full; busy has refilled 10 tokens
    await limiter.take('newcomer', API);
    expect(limiter.size).toBeLessThanOrEqual(10);
    expect((await limiter.peek('busy', API, 0)).remaining).toBe(10);
  });

  it('a recently used key moves to the back of the eviction order', async () => {
    const { limiter } = limiterAt({ maxBuckets: 10 });
    await limiter.take('old-but-active', API, 500);
    for (let i = 0; i < 8; i++) await limiter.take(`other-${i}`, API, 500);
    await limiter.take('old-but-active', API, 0);
    for (let i = 8; i < 12; i++) await limiter.take(`other-${i}`, API, 500);
    expect((await limiter.peek('old-but-active', API)).allowed).toBe(false);
    expect((await limiter.peek('other-0', API)).allowed).toBe(true);
  });

  it('counts every take of the key used last, which stays last in the eviction order', async () => {
    const { limiter } = limiterAt({ maxBuckets: 3 });
    await limiter.take('first', API, 500);
    await limiter.take('hot', API, 100);
    await limiter.take('hot', API, 100); // updated where it is: already the most recent
    expect((await limiter.peek('hot', API, 0)).remaining).toBe(300);
    await limiter.take('second', API, 500);
    await limiter.take('hot', API, 100); // moved behind 'second'
    // Over maxBuckets: back to 2 (90 %), the least recently used first.
    await limiter.take('third', API, 500);
    expect((await limiter.peek('first', API)).allowed).toBe(true); // forgotten: full again
    expect((await limiter.peek('second', API)).allowed).toBe(true);
    expect((await limiter.peek('hot', API, 0)).remaining).toBe(200);
    expect((await limiter.peek('third', API)).allowed).toBe(false);
  });

  it('close forgets every bucket', async () => {
    const { limiter } = limiterAt();
    await limiter.take('a', API);
    await limiter.close();
    expect(limiter.size).toBe(0);
  });
});
