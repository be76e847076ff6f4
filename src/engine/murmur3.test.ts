import { describe, expect, it } from 'vitest';
import cases from './cases/murmur3.json' with { type: 'json' };
import { isInTraffic, selectDistributionIndex } from './experience-select.js';
import {
  distributionHashInput,
  HASH_UPPER_BOUND,
  hashToUnit,
  murmur3_32,
  ninetailedMurmur3,
  trafficHashInput,
} from './murmur3.js';

describe('murmur3_32 (reference MurmurHash3 x86_32 over UTF-8)', () => {
  it.each(cases.reference)('$text seed $seed → $hash', ({ text, seed, hash }) => {
    expect(murmur3_32(text, Number(seed))).toBe(Number(hash));
  });

  it('defaults to seed 0', () => {
    expect(murmur3_32('hello')).toBe(0x248bfa47);
  });
});

describe('ninetailedMurmur3 (the SDK: murmurhash-js, one byte per UTF-16 code unit)', () => {
  it.each(cases.sdkHash)('$text → $hash', ({ text, hash }) => {
    expect(ninetailedMurmur3(text)).toBe(Number(hash));
  });

  it('agrees with the reference on ASCII and differs from it on non-ASCII, as the SDK does', () => {
    expect(ninetailedMurmur3('traffic-exp-1-stable-1')).toBe(murmur3_32('traffic-exp-1-stable-1'));
    expect(ninetailedMurmur3('café')).not.toBe(murmur3_32('café'));
  });
});

describe('hashToUnit (the SDK getTrafficRandom / getDistributionRandom)', () => {
  it.each(cases.sdkRandom)('$experienceId / $stableId', (c) => {
    expect(hashToUnit(trafficHashInput(c.experienceId, c.stableId))).toBe(c.traffic);
    expect(hashToUnit(distributionHashInput(c.experienceId, c.stableId))).toBe(c.distribution);
  });

  it('divides by 2^32 − 1, so both 0 and 1 are reachable', () => {
    expect(HASH_UPPER_BOUND).toBe(4294967295);
    expect(hashToUnit('')).toBe(0);
  });
});

describe('bucketing is uniform', () => {
  const N = 20_000;
  const ids = Array.from({ length: N }, (_, i) => `0b2c6a5e-${i.toString(16).padStart(8, '0')}`);

  it('distributes 20,000 stable ids over 4 equal variants (chi-square < 16.27, p = 0.001)', () => {
    const counts = [0, 0, 0, 0];
    for (const id of ids) {
      const value = hashToUnit(distributionHashInput('exp-chi', id));
      counts[selectDistributionIndex([0.25, 0.25, 0.25, 0.25], value)]!++;
    }
    const expected = N / 4;
    const chiSquare = counts.reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(16.27);
  });

  it('admits the traffic share within 4 standard deviations', () => {
    const allocation = 0.3;
    const admitted = ids.filter((id) =>
      isInTraffic(allocation, hashToUnit(trafficHashInput('exp-chi', id))),
    ).length;
    const sd = Math.sqrt(N * allocation * (1 - allocation));
    expect(Math.abs(admitted - N * allocation)).toBeLessThan(4 * sd);
  });
});
