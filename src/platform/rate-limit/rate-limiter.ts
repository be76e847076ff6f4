/**
 * The rate-limiting contract shared by every store (memory, Redis). A limiter is a token bucket
 * per key: it holds at most `burst` tokens, refills continuously at `ratePerSecond`, and each
 * request takes `cost` tokens. Token buckets (not fixed windows) so that a client cannot double
 * its quota across a window boundary, and so that short bursts are allowed without raising the
 * sustained rate.
 */

/** How fast a bucket refills and how many tokens it holds at most. */
export interface RateLimitPolicy {
  /** Tokens added per second (the sustained rate); must be > 0. */
  ratePerSecond: number;
  /** Bucket capacity: the largest burst accepted from an idle client; must be ≥ 1. */
  burst: number;
}

/** The outcome of one `take` or `peek`, with everything the response headers need. */
export interface RateLimitDecision {
  allowed: boolean;
  /** The bucket capacity (`burst`). */
  limit: number;
  /** Whole tokens left after this request, ≥ 0. */
  remaining: number;
  /** Seconds until the bucket is full again (rounded up); 0 when it is full. */
  resetSeconds: number;
  /** 0 when allowed; otherwise seconds until `cost` tokens are available (rounded up, ≥ 1). */
  retryAfterSeconds: number;
}

/**
 * A store of token buckets. Keys are opaque and stored as given (in Redis too): pass a
 * credential *id* or a client address, never a secret. One key should always be used with the
 * same policy; a key's tokens are shared by every policy it is used with.
 */
export interface RateLimiter {
  /** Takes `cost` tokens (default 1) if available; a refused request takes nothing. */
  take(key: string, policy: RateLimitPolicy, cost?: number): Promise<RateLimitDecision>;
  /** What `take` would decide now, without taking anything. */
  peek(key: string, policy: RateLimitPolicy, cost?: number): Promise<RateLimitDecision>;
  /** Releases timers and connections. */
  close(): Promise<void>;
  /** Resolves once the store can answer (true), or false after the timeout (shared stores only). */
  ready?(timeoutMs?: number): Promise<boolean>;
}

/** Per credential: 100 requests/s sustained, bursts of up to 500. */
export const DEFAULT_CREDENTIAL_POLICY: RateLimitPolicy = Object.freeze({
  ratePerSecond: 100,
  burst: 500,
});
