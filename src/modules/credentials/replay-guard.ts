import type { Redis } from 'ioredis';

/**
 * Remembers one-time values (signatures) for as long as they would be accepted, so that a
 * captured request cannot be sent again. PNAUTHINFO3 signs neither path nor body: without this,
 * a signature seen once could authorize any other state-changing request for 15 minutes.
 */
export interface ReplayGuard {
  /** True the first time `key` is seen within `ttlMs`; false for a replay. */
  firstUse(key: string, ttlMs: number): Promise<boolean>;
}

/** In one process: a map of expiry times, swept as it grows. */
export class MemoryReplayGuard implements ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 100_000,
  ) {}

  async firstUse(key: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const expiresAt = this.seen.get(key);
    if (expiresAt !== undefined && expiresAt > now) return false;
    if (this.seen.size >= this.maxEntries) this.sweep(now);
    this.seen.set(key, now + ttlMs);
    return true;
  }

  private sweep(now: number): void {
    for (const [key, expiresAt] of this.seen) if (expiresAt <= now) this.seen.delete(key);
    // Still full of live entries: drop the oldest rather than grow without bound.
    while (this.seen.size >= this.maxEntries) this.seen.delete(this.seen.keys().next().value!);
  }
}

/** Shared by every process: `SET key 1 NX PX ttl` is atomic in Redis. */
export class RedisReplayGuard implements ReplayGuard {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async firstUse(key: string, ttlMs: number): Promise<boolean> {
    const result = await this.redis.set(
      `${this.prefix}${key}`,
      '1',
      'PX',
      Math.max(1, Math.ceil(ttlMs)),
      'NX',
    );
    return result === 'OK';
  }
}
