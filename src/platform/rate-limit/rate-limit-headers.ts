import type { RateLimitDecision, RateLimitPolicy } from './rate-limiter.js';

/**
 * The response headers of the IETF RateLimit draft, in its draft-06 shape: three separate
 * fields plus `RateLimit-Policy` (draft-07 later folded the three into a single `RateLimit`
 * field; the separate ones are what most clients and proxies read today).
 *
 *   RateLimit-Limit: 500          the burst (bucket capacity)
 *   RateLimit-Remaining: 499      whole tokens left
 *   RateLimit-Reset: 1            seconds until the bucket is full again
 *   RateLimit-Policy: 500;w=5     quota 500 per window w = burst / rate seconds
 *   Retry-After: 1                only when refused: seconds until the request would pass
 *
 * A token bucket has no window; `w` is the time an empty bucket takes to refill completely,
 * which with `RateLimit-Limit` gives the sustained rate (500 / 5 s = 100/s). The draft needs an
 * integer, so it is rounded up (never below 1).
 */
export function rateLimitHeaders(
  decision: RateLimitDecision,
  policy: RateLimitPolicy,
): Record<string, string> {
  const window = Math.max(1, Math.ceil(policy.burst / policy.ratePerSecond));
  const headers: Record<string, string> = {
    'RateLimit-Limit': String(decision.limit),
    'RateLimit-Remaining': String(decision.remaining),
    'RateLimit-Reset': String(decision.resetSeconds),
    'RateLimit-Policy': `${policy.burst};w=${window}`,
  };
  if (!decision.allowed) headers['Retry-After'] = String(decision.retryAfterSeconds);
  return headers;
}
