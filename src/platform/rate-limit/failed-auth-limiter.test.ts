import { describe, expect, it } from 'vitest';
import { countingRateLimiter } from '../../../test/helpers/counting-rate-limiter.js';
import { clientAddressKey, FailedAuthLimiter } from './failed-auth-limiter.js';
import { MemoryRateLimiter } from './memory-rate-limiter.js';
import { DEFAULT_CREDENTIAL_POLICY } from './rate-limiter.js';

function setup() {
  const clock = { now: 0 };
  const limiter = new MemoryRateLimiter({ now: () => clock.now });
  return { clock, limiter, failedAuth: new FailedAuthLimiter(limiter) };
}

describe('FailedAuthLimiter', () => {
  it('blocks an address after 20 failures, and only that address', async () => {
    const { failedAuth } = setup();
    for (let i = 0; i < 19; i++) await failedAuth.recordFailure('203.0.113.7');
    expect(await failedAuth.isBlocked('203.0.113.7')).toBe(false);
    await failedAuth.recordFailure('203.0.113.7');
    expect(await failedAuth.isBlocked('203.0.113.7')).toBe(true);
    expect(await failedAuth.check('203.0.113.7')).toMatchObject({ retryAfterSeconds: 3 });
    expect(await failedAuth.isBlocked('203.0.113.8')).toBe(false);
  });

  it('checking whether an address is blocked costs nothing', async () => {
    const { failedAuth } = setup();
    for (let i = 0; i < 100; i++) expect(await failedAuth.isBlocked('203.0.113.7')).toBe(false);
  });

  it('lets the address try again once a failure has refilled (3 s at 20/min)', async () => {
    const { clock, failedAuth } = setup();
    for (let i = 0; i < 20; i++) await failedAuth.recordFailure('203.0.113.7');
    clock.now += 2999;
    expect(await failedAuth.isBlocked('203.0.113.7')).toBe(true);
    clock.now += 1;
    expect(await failedAuth.isBlocked('203.0.113.7')).toBe(false);
  });

  it('never touches the bucket of the credential being guessed', async () => {
    const { limiter, failedAuth } = setup();
    // Same limiter, and even a key the credential bucket might use: the key spaces differ.
    for (let i = 0; i < 50; i++) await failedAuth.recordFailure('key_123');
    await failedAuth.recordFailure('203.0.113.7');
    expect(await limiter.peek('key_123', DEFAULT_CREDENTIAL_POLICY, 0)).toMatchObject({
      remaining: 500,
    });
    expect(limiter.size).toBe(2);
  });

  it('counts an IPv6 /64 as one client', async () => {
    const { failedAuth } = setup();
    for (let i = 0; i < 20; i++) await failedAuth.recordFailure(`2001:db8:1:2::${i.toString(16)}`);
    expect(await failedAuth.isBlocked('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe(true);
    expect(await failedAuth.isBlocked('2001:db8:1:3::1')).toBe(false);
  });
});

describe('FailedAuthLimiter trusting allowed answers (a shared limiter)', () => {
  /** Two processes' limiters over one store, counting the questions each asks it. */
  function shared() {
    const clock = { now: 0 };
    const store = new MemoryRateLimiter({ now: () => clock.now });
    const process = () => {
      const { limiter, asked } = countingRateLimiter(store);
      const options = { trustAllowedMs: 1_000, now: () => clock.now };
      return { asked, failedAuth: new FailedAuthLimiter(limiter, undefined, undefined, options) };
    };
    return { clock, a: process(), b: process() };
  }

  it('asks the store once per address while its allowed answer is trusted', async () => {
    const { clock, a } = shared();
    for (let i = 0; i < 10; i++) expect(await a.failedAuth.isBlocked('203.0.113.7')).toBe(false);
    expect(a.asked.peeks).toBe(1);
    await a.failedAuth.isBlocked('203.0.113.8');
    expect(a.asked.peeks).toBe(2);
    clock.now += 1_000;
    await a.failedAuth.isBlocked('203.0.113.7');
    expect(a.asked.peeks).toBe(3);
  });

  it('ends the trust at a failure it records, and never keeps a refusal', async () => {
    const { clock, a } = shared();
    expect(await a.failedAuth.isBlocked('203.0.113.7')).toBe(false);
    for (let i = 0; i < 20; i++) await a.failedAuth.recordFailure('203.0.113.7');
    expect(await a.failedAuth.isBlocked('203.0.113.7')).toBe(true);
    // One failure refills in 3 s; the refusal was not kept, so the next answer is fresh.
    clock.now += 3_000;
    expect(await a.failedAuth.isBlocked('203.0.113.7')).toBe(false);
  });

  it("sees another process's failures once the trust runs out", async () => {
    const { clock, a, b } = shared();
    expect(await a.failedAuth.isBlocked('203.0.113.7')).toBe(false);
    for (let i = 0; i < 20; i++) await b.failedAuth.recordFailure('203.0.113.7');
    expect(await b.failedAuth.isBlocked('203.0.113.7')).toBe(true);
    clock.now += 500;
    expect(await a.failedAuth.isBlocked('203.0.113.7')).toBe(false);
    clock.now += 500;
    expect(await a.failedAuth.isBlocked('203.0.113.7')).toBe(true);
  });

  it('keeps at most 10,000 addresses, dropping the oldest', async () => {
    const { a } = shared();
    for (let i = 0; i <= 10_000; i++) await a.failedAuth.isBlocked(`10.0.${i >> 8}.${i & 255}`);
    expect(a.asked.peeks).toBe(10_001);
    await a.failedAuth.isBlocked('10.0.39.16'); // the newest: still trusted
    expect(a.asked.peeks).toBe(10_001);
    await a.failedAuth.isBlocked('10.0.0.0'); // the oldest: dropped
    expect(a.asked.peeks).toBe(10_002);
  });
});

describe('clientAddressKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:203.0.113.7', '203.0.113.7'],
    ['2001:DB8:0001:0002:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['2001:db8:1::5:1.2.3.4', '2001:db8:1:0::/64'],
    ['not-an-address', 'not-an-address'],
  ])('%s → %s', (address, key) => {
    expect(clientAddressKey(address)).toBe(key);
  });
});
