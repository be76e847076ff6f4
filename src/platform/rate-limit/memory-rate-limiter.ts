import type { RateLimitDecision, RateLimiter, RateLimitPolicy } from './rate-limiter.js';
import { type BucketState, fullAt, takeTokens } from './token-bucket.js';

export interface MemoryRateLimiterOptions {
  /** The clock, ms; injectable so tests can step time exactly. Defaults to `Date.now`. */
  now?: () => number;
  /** Most buckets kept; beyond it the least recently used are forgotten. Default 100 000. */
  maxBuckets?: number;
  /** Fewest calls between two sweeps of idle full buckets. Default 1 000. */
  sweepEvery?: number;
}

interface StoredBucket extends BucketState {
  /** When the bucket is full again; from then on forgetting it changes nothing. */
  fullAt: number;
}

/**
 * Token buckets in a Map, for a single process. Limits are per process: N processes behind a
 * load balancer allow N times the policy (use the Redis limiter to share buckets).
 *
 * Memory stays bounded under many keys: the Map is kept in least-recently-used order (a touched
 * key is re-inserted at the end), full buckets are swept out periodically (losslessly — an absent
 * bucket is a full one), and above `maxBuckets` the least recently used are dropped.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, StoredBucket>();
  private readonly now: () => number;
  private readonly maxBuckets: number;
  private readonly sweepEvery: number;
  private callsSinceSweep = 0;
  /** The key set last, so at the end of the Map's order while it is still in the Map. */
  private lastTouched: string | undefined;

  constructor(options: MemoryRateLimiterOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxBuckets = options.maxBuckets ?? 100_000;
    this.sweepEvery = options.sweepEvery ?? 1_000;
    if (!(this.maxBuckets >= 1)) throw new RangeError('maxBuckets must be ≥ 1');
  }

  /** How many buckets are held (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  async take(key: string, policy: RateLimitPolicy, cost = 1): Promise<RateLimitDecision> {
    const now = this.now();
    const stored = this.buckets.get(key);
    const { decision, state } = takeTokens(stored, policy, now, cost);
    if (stored && key === this.lastTouched) {
      // Already the most recently used: updated where it is (a busy credential's every request).
      stored.tokens = state.tokens;
      stored.updatedAt = state.updatedAt;
      stored.fullAt = fullAt(state, policy);
    } else {
      // Delete then set moves the key to the end of the Map's order: the front is the least
      // recently used, which is what eviction wants to find first.
      this.buckets.delete(key);
      this.buckets.set(key, { ...state, fullAt: fullAt(state, policy) });
      this.lastTouched = key;
    }
    this.maintain(now);
    return decision;
  }

  async peek(key: string, policy: RateLimitPolicy, cost = 1): Promise<RateLimitDecision> {
    return takeTokens(this.buckets.get(key), policy, this.now(), cost).decision;
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }

  private maintain(now: number): void {
    this.callsSinceSweep += 1;
    // Sweeping costs O(size), so wait at least `size` calls between sweeps: O(1) per call.
    if (this.callsSinceSweep >= Math.max(this.sweepEvery, this.buckets.size)) {
      this.callsSinceSweep = 0;
      this.dropFull(now, 0);
    }
    if (this.buckets.size > this.maxBuckets) this.shrink(now);
  }

  /** Forgets full buckets, oldest first, until at most `target` remain. Loses nothing. */
  private dropFull(now: number, target: number): void {
    for (const [key, bucket] of this.buckets) {
      if (this.buckets.size <= target) return;
      if (bucket.fullAt <= now) this.buckets.delete(key);
    }
  }

  /**
   * Brings the Map back to 90% of `maxBuckets` (the headroom keeps this O(size) pass rare).
   * Full buckets go first; if that is not enough (a flood of distinct keys, all mid-refill), the
   * least recently used are forgotten too. That errs towards allowing those keys again, which
   * is the better failure than unbounded memory.
   */
  private shrink(now: number): void {
    const target = Math.floor(this.maxBuckets * 0.9);
    this.dropFull(now, target);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= target) return;
      this.buckets.delete(key);
    }
  }
}
