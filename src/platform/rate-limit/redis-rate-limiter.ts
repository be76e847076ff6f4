import { Redis } from 'ioredis';
import type { RateLimitDecision, RateLimiter, RateLimitPolicy } from './rate-limiter.js';
import { assertValidRequest, describeBucket } from './token-bucket.js';
import { TOKEN_BUCKET_LUA } from './token-bucket-script.js';

export interface RedisRateLimiterOptions {
  /** A `redis://` URL (the limiter owns and closes that connection) or a client to share. */
  redis: string | Redis;
  /** Prepended to every key, so Tessera's buckets are easy to find and flush. */
  prefix?: string;
  /** Told about every Redis failure; the request it happened on was allowed (fail open). */
  onError?: (error: Error) => void;
  /** A command slower than this fails open, ms (URL only). Default 250. */
  commandTimeoutMs?: number;
  /** Connect timeout, ms (URL only). Default 1 000. */
  connectTimeoutMs?: number;
  /** Kept past the time a bucket takes to refill, ms, before Redis expires it. Default 10 000. */
  ttlSlackMs?: number;
  /** Tests only: a clock (ms) to use instead of Redis `TIME`. */
  clockForTests?: () => number;
}

export const DEFAULT_REDIS_PREFIX = 'tessera:rl:';

interface TokenBucketCommand {
  tesseraTokenBucket(key: string, ...args: (string | number)[]): Promise<[number, string]>;
}

/**
 * Token buckets in Redis, shared by every process pointed at the same server: the whole
 * read-refill-write is one atomic Lua script on Redis time, and idle buckets expire.
 *
 * Redis failures fail OPEN: the request is allowed and `onError` is told. A limiter protects
 * the API; it must not become a way to take it down, and an outage of Redis would otherwise
 * refuse every request. Consequences, on purpose: while the connection is not ready (at start,
 * during reconnects) requests are allowed without waiting — no offline queue — and a slow Redis
 * costs at most `commandTimeoutMs`. The decision then reports a fresh bucket.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  private readonly ownsConnection: boolean;
  private readonly prefix: string;
  private readonly onError: (error: Error) => void;
  private readonly ttlSlackMs: number;
  private readonly clockForTests: (() => number) | undefined;
  private readonly reportConnectionError = (error: Error) => this.onError(error);

  constructor(options: RedisRateLimiterOptions) {
    this.prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
    this.onError = options.onError ?? (() => {});
    this.ttlSlackMs = options.ttlSlackMs ?? 10_000;
    this.clockForTests = options.clockForTests;
    this.ownsConnection = typeof options.redis === 'string';
    this.redis =
      typeof options.redis === 'string'
        ? new Redis(options.redis, {
            enableOfflineQueue: false,
            maxRetriesPerRequest: 0,
            commandTimeout: options.commandTimeoutMs ?? 250,
            connectTimeout: options.connectTimeoutMs ?? 1_000,
          })
        : options.redis;
    // Connection errors arrive as events: without a listener ioredis prints them to stderr.
    this.redis.on('error', this.reportConnectionError);
    // defineCommand runs EVALSHA and falls back to EVAL once if Redis lost the script.
    this.redis.defineCommand('tesseraTokenBucket', { numberOfKeys: 1, lua: TOKEN_BUCKET_LUA });
  }

  take(key: string, policy: RateLimitPolicy, cost = 1): Promise<RateLimitDecision> {
    return this.run(key, policy, cost, true);
  }

  peek(key: string, policy: RateLimitPolicy, cost = 1): Promise<RateLimitDecision> {
    return this.run(key, policy, cost, false);
  }

  /**
   * Waits until the connection is ready, at most `timeoutMs`: a server calls it at start so that
   * its first requests are limited rather than let through while Redis is still connecting.
   * Resolves false when Redis did not answer in time (the limiter then fails open, as ever).
   */
  async ready(timeoutMs = 2000): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(value);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      timer.unref();
      this.redis.on('ready', onReady);
    });
  }

  async close(): Promise<void> {
    this.redis.off('error', this.reportConnectionError);
    if (!this.ownsConnection) return;
    if (this.redis.status === 'ready') {
      await this.redis.quit().catch(() => this.redis.disconnect());
    } else {
      this.redis.disconnect();
    }
  }

  private async run(
    key: string,
    policy: RateLimitPolicy,
    cost: number,
    take: boolean,
  ): Promise<RateLimitDecision> {
    // A bad policy is a bug in the caller, not an outage: it throws rather than failing open.
    assertValidRequest(policy, cost);
    // Not connected: the connection's 'error' events already report it, once per attempt
    // rather than once per request.
    if (this.redis.status !== 'ready') return this.failOpen(policy, cost);
    const args: (string | number)[] = [
      policy.ratePerSecond,
      policy.burst,
      cost,
      take ? '1' : '0',
      this.ttlSlackMs,
    ];
    if (this.clockForTests) args.push(this.clockForTests());
    try {
      const command = this.redis as unknown as TokenBucketCommand;
      const [allowed, tokens] = await command.tesseraTokenBucket(this.prefix + key, ...args);
      return describeBucket(policy, cost, allowed === 1, Number(tokens));
    } catch (error) {
      this.onError(error instanceof Error ? error : new Error(String(error)));
      return this.failOpen(policy, cost);
    }
  }

  private failOpen(policy: RateLimitPolicy, cost: number): RateLimitDecision {
    return describeBucket(policy, cost, true, policy.burst - cost);
  }
}
