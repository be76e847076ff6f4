import { MemoryRateLimiter } from './memory-rate-limiter.js';
import type { RateLimiter } from './rate-limiter.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';

export {
  clientAddressKey,
  DEFAULT_FAILED_AUTH_POLICY,
  FailedAuthLimiter,
} from './failed-auth-limiter.js';
export { MemoryRateLimiter, type MemoryRateLimiterOptions } from './memory-rate-limiter.js';
export { rateLimitHeaders } from './rate-limit-headers.js';
export {
  DEFAULT_CREDENTIAL_POLICY,
  type RateLimitDecision,
  type RateLimiter,
  type RateLimitPolicy,
} from './rate-limiter.js';
export {
  DEFAULT_REDIS_PREFIX,
  RedisRateLimiter,
  type RedisRateLimiterOptions,
} from './redis-rate-limiter.js';

export interface CreateRateLimiterOptions {
  /** Share buckets across processes through this Redis; without it, limits are in memory. */
  redisUrl?: string;
  /** Redis key prefix (default `tessera:rl:`). */
  prefix?: string;
  /** Told about Redis failures (requests are allowed meanwhile); pass the logger here. */
  onError?: (error: Error) => void;
  /** The in-memory store's clock (Redis uses its own server time). */
  now?: () => number;
}

/**
 * The limiter for this deployment: Redis-backed when `redisUrl` is set, otherwise in memory.
 * Docs note: without Redis, rate limits are per process — N instances allow N × the policy.
 */
export function createRateLimiter(options: CreateRateLimiterOptions = {}): RateLimiter {
  if (!options.redisUrl) return new MemoryRateLimiter(options.now ? { now: options.now } : {});
  return new RedisRateLimiter({
    redis: options.redisUrl,
    ...(options.prefix !== undefined && { prefix: options.prefix }),
    ...(options.onError !== undefined && { onError: options.onError }),
  });
}
