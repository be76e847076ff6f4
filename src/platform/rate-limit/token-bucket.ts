import type { RateLimitDecision, RateLimitPolicy } from './rate-limiter.js';

/**
 * The token-bucket arithmetic, with no I/O and no clock of its own: every store (the in-process
 * map, the Redis Lua script) computes the same thing, and this module is the reference.
 */

/** A bucket as stored: its tokens as of `updatedAt` (ms since the epoch; any clock works). */
export interface BucketState {
  tokens: number;
  updatedAt: number;
}

export interface TokenBucketResult {
  decision: RateLimitDecision;
  /** The state to store after a `take`; a `peek` discards it. */
  state: BucketState;
}

/**
 * Tolerance for float drift: rates such as 20/60 per second make refills like 0.9999999999 where
 * the exact answer is 1, which would refuse a request the client was promised. The Redis script
 * uses the same constant so that both stores agree.
 */
export const TOKEN_EPSILON = 1e-9;

/** Throws a RangeError for a policy or cost no bucket could honour (a programming error). */
export function assertValidRequest(policy: RateLimitPolicy, cost: number): void {
  const { ratePerSecond, burst } = policy;
  if (!(Number.isFinite(ratePerSecond) && ratePerSecond > 0)) {
    throw new RangeError(`ratePerSecond must be a positive number (got ${ratePerSecond})`);
  }
  if (!(Number.isFinite(burst) && burst >= 1)) {
    throw new RangeError(`burst must be a number ≥ 1 (got ${burst})`);
  }
  // A cost above the burst could never be paid: refusing forever would look like an outage.
  if (!(Number.isFinite(cost) && cost >= 0 && cost <= burst)) {
    throw new RangeError(`cost must be between 0 and burst (${burst}) (got ${cost})`);
  }
}

/** The bucket's tokens at `now`: refilled since `updatedAt`, capped at `burst`. */
export function refill(state: BucketState | undefined, policy: RateLimitPolicy, now: number) {
  // An unknown (or expired) bucket is a full one: idle clients get their whole burst.
  if (!state) return policy.burst;
  // A clock that steps backwards must not drain a bucket, so negative elapsed time counts as 0.
  const elapsedMs = Math.max(0, now - state.updatedAt);
  return Math.min(policy.burst, state.tokens + (elapsedMs * policy.ratePerSecond) / 1000);
}

/**
 * Decides a request of `cost` tokens at `now` (ms). A refused request takes nothing, so a client
 * that keeps retrying while refused is not pushed further back.
 */
export function takeTokens(
  state: BucketState | undefined,
  policy: RateLimitPolicy,
  now: number,
  cost = 1,
): TokenBucketResult {
  assertValidRequest(policy, cost);
  const available = refill(state, policy, now);
  const allowed = available >= cost - TOKEN_EPSILON;
  const tokens = allowed ? Math.max(0, available - cost) : available;
  return {
    decision: describeBucket(policy, cost, allowed, tokens),
    state: { tokens, updatedAt: now },
  };
}

/** The decision for a bucket left with `tokens` after a request of `cost` was decided. */
export function describeBucket(
  policy: RateLimitPolicy,
  cost: number,
  allowed: boolean,
  tokens: number,
): RateLimitDecision {
  const { ratePerSecond, burst } = policy;
  const secondsUntil = (target: number) =>
    Math.max(0, Math.ceil((target - tokens) / ratePerSecond - TOKEN_EPSILON));
  return {
    allowed,
    limit: burst,
    remaining: Math.max(0, Math.floor(tokens + TOKEN_EPSILON)),
    resetSeconds: secondsUntil(burst),
    // Never 0 when refused: `Retry-After: 0` invites a tight retry loop.
    retryAfterSeconds: allowed ? 0 : Math.max(1, secondsUntil(cost)),
  };
}

/** When (same clock as `updatedAt`) the bucket will be full, i.e. as good as forgotten. */
export function fullAt(state: BucketState, policy: RateLimitPolicy): number {
  return state.updatedAt + (Math.max(0, policy.burst - state.tokens) * 1000) / policy.ratePerSecond;
}
