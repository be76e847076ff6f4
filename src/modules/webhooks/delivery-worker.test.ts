import { describe, expect, it } from 'vitest';
import { backoffMs } from './delivery-worker.js';

describe('retry backoff', () => {
  it('doubles per attempt within ±50 % jitter, and is capped at 6 hours', () => {
    expect(backoffMs(1, 1000, () => 0)).toBe(500);
    expect(backoffMs(1, 1000, () => 0.5)).toBe(1000);
    expect(backoffMs(3, 1000, () => 0.5)).toBe(4000);
    expect(backoffMs(4, 1000, () => 0.999)).toBeLessThan(12_000);
    expect(backoffMs(40, 1000, () => 0.5)).toBe(6 * 3_600_000);
  });
});
