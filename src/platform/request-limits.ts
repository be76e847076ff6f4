import type { FastifyReply } from 'fastify';
import { AppError } from '../errors/app-error.js';
import type { Principal } from '../modules/credentials/credential-types.js';
import type { AuthLimits } from './auth.js';
import {
  clientAddressKey,
  FailedAuthLimiter,
  type RateLimiter,
  type RateLimitPolicy,
  rateLimitHeaders,
} from './rate-limit/index.js';

/** Token endpoints are a guessing target: a tighter bucket per client address. */
export const TOKEN_ENDPOINT_POLICY: RateLimitPolicy = Object.freeze({
  ratePerSecond: 5,
  burst: 20,
});

/**
 * With a shared limiter (Redis), how long a process trusts an address's last "allowed"
 * failed-authentication answer: a request from an address that keeps authenticating correctly
 * then costs one round trip to Redis (its credential's bucket) instead of two, one after the
 * other. An address blocked through other processes is refused here at most this much later;
 * a failure this process sees from it is counted at once, and ends the trust.
 */
export const SHARED_FAILED_AUTH_TRUST_MS = 1_000;

/**
 * The request throttles of every surface, on one limiter (memory, or Redis shared by all
 * processes): a token bucket per credential (its own override, else the configured default), a
 * tighter one per address on token endpoints, and a separate budget of failed authentications
 * per address that never touches a credential's bucket.
 */
export class RequestLimits implements AuthLimits {
  private readonly failedAuth: FailedAuthLimiter;
  private readonly failedAuthPolicy: RateLimitPolicy;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly defaultPolicy: RateLimitPolicy,
    failedAuthPerMinute: number,
    /** The limiter is shared by every process (Redis): see SHARED_FAILED_AUTH_TRUST_MS. */
    shared = false,
  ) {
    this.failedAuthPolicy = { ratePerSecond: failedAuthPerMinute / 60, burst: failedAuthPerMinute };
    this.failedAuth = new FailedAuthLimiter(limiter, this.failedAuthPolicy, undefined, {
      trustAllowedMs: shared ? SHARED_FAILED_AUTH_TRUST_MS : 0,
    });
  }

  async assertAddressAllowed(address: string): Promise<void> {
    const decision = await this.failedAuth.check(address);
    if (!decision.allowed) {
      throw new AppError(
        'rate_limited',
        'Too many failed authentications from this address.',
        undefined,
        rateLimitHeaders(decision, this.failedAuthPolicy),
      );
    }
  }

  async recordFailure(address: string): Promise<void> {
    await this.failedAuth.recordFailure(address);
  }

  takeForCredential(principal: Principal, reply: FastifyReply): Promise<void> {
    return this.take(
      `credential:${principal.credentialId}`,
      principal.settings.rateLimit ?? this.defaultPolicy,
      reply,
    );
  }

  takeForTokenEndpoint(address: string, reply: FastifyReply): Promise<void> {
    return this.take(`token-endpoint:${clientAddressKey(address)}`, TOKEN_ENDPOINT_POLICY, reply);
  }

  /** Takes `cost` units (e.g. user ids in a batch) from a named bucket with its own policy. */
  async take(key: string, policy: RateLimitPolicy, reply: FastifyReply, cost = 1): Promise<void> {
    const decision = await this.limiter.take(key, policy, cost);
    const headers = rateLimitHeaders(decision, policy);
    if (!decision.allowed) throw new AppError('rate_limited', undefined, undefined, headers);
    for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  }

  close(): Promise<void> {
    return this.limiter.close();
  }
}
