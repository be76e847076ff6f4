import { isIPv6 } from 'node:net';
import type { RateLimitDecision, RateLimiter, RateLimitPolicy } from './rate-limiter.js';

/** 20 failed authentications per minute per client address, all of them usable at once. */
export const DEFAULT_FAILED_AUTH_POLICY: RateLimitPolicy = Object.freeze({
  ratePerSecond: 20 / 60,
  burst: 20,
});

/** Addresses whose last "allowed" answer a process keeps at most (the oldest go first). */
const TRUSTED_ADDRESSES = 10_000;

export interface FailedAuthOptions {
  /**
   * How long this process trusts an address's last "allowed" answer instead of asking the
   * limiter again, ms (0: always ask). For a shared limiter, where each question is a round trip
   * to Redis. A failure this process records from the address ends the trust at once; failures
   * recorded by other processes are seen once it runs out.
   */
  trustAllowedMs?: number;
  now?: () => number;
}

/**
 * Throttles credential guessing. Only *failed* authentications cost tokens, and the buckets are
 * keyed by client address alone, in their own key space: someone hammering with bad keys is
 * slowed down without ever draining the bucket of the real credential they are guessing at or
 * spoofing, and a client that authenticates correctly never pays anything here.
 *
 * Intended use: `isBlocked` before verifying a key (answer 429 without the cost of a lookup),
 * `recordFailure` after a key fails to verify.
 */
export class FailedAuthLimiter {
  /** Allowed answers trusted until a time (see FailedAuthOptions.trustAllowedMs), by key. */
  private readonly trusted = new Map<string, { decision: RateLimitDecision; until: number }>();
  private readonly trustAllowedMs: number;
  private readonly now: () => number;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly policy: RateLimitPolicy = DEFAULT_FAILED_AUTH_POLICY,
    private readonly keyPrefix = 'auth-failures:',
    options: FailedAuthOptions = {},
  ) {
    this.trustAllowedMs = options.trustAllowedMs ?? 0;
    this.now = options.now ?? Date.now;
  }

  /** The address's bucket as it stands (for `Retry-After`); consumes nothing. */
  async check(address: string): Promise<RateLimitDecision> {
    const key = this.keyFor(address);
    if (this.trustAllowedMs === 0) return this.limiter.peek(key, this.policy);
    const now = this.now();
    const kept = this.trusted.get(key);
    if (kept && kept.until > now) return kept.decision;
    const decision = await this.limiter.peek(key, this.policy);
    this.trusted.delete(key);
    if (decision.allowed) {
      if (this.trusted.size >= TRUSTED_ADDRESSES) {
        this.trusted.delete(this.trusted.keys().next().value!);
      }
      this.trusted.set(key, { decision, until: now + this.trustAllowedMs });
    }
    return decision;
  }

  /** Whether the address has used up its failures; consumes nothing. */
  async isBlocked(address: string): Promise<boolean> {
    return !(await this.check(address)).allowed;
  }

  /** Counts one failed authentication from `address`. */
  recordFailure(address: string): Promise<RateLimitDecision> {
    const key = this.keyFor(address);
    this.trusted.delete(key);
    return this.limiter.take(key, this.policy);
  }

  private keyFor(address: string): string {
    return this.keyPrefix + clientAddressKey(address);
  }
}

/**
 * The unit an address is limited as. An IPv4-mapped IPv6 address is its IPv4 address (one
 * client, whichever socket family accepted it). Other IPv6 addresses count by their /64: one
 * host usually controls a whole /64, so per-address buckets would be trivially sidestepped.
 */
export function clientAddressKey(address: string): string {
  // An IPv4 address (what most requests come from) is its own key: no IPv6 parsing per request.
  if (!address.includes(':')) return address;
  const bare = address.replace(/%.*$/, '').toLowerCase();
  if (!isIPv6(bare)) return bare;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped) return mapped[1]!;
  const [head = '', tail] = bare.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const front = groups(head);
  // An embedded IPv4 suffix (a.b.c.d) stands for two groups.
  const back =
    tail === undefined ? [] : groups(tail).flatMap((g) => (g.includes('.') ? [g, g] : [g]));
  const zeros = Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0');
  const first4 = [...front, ...zeros, ...back].slice(0, 4);
  return `${first4.map((g) => Number.parseInt(g, 16).toString(16)).join(':')}::/64`;
}
