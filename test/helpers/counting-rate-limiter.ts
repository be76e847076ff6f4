import type { RateLimiter } from '../../src/platform/rate-limit/index.js';

/** `store` behind a limiter that counts the questions (peeks) asked of it. */
export function countingRateLimiter(store: RateLimiter) {
  const asked = { peeks: 0 };
  const limiter: RateLimiter = {
    take: (key, policy, cost) => store.take(key, policy, cost),
    peek: (key, policy, cost) => {
      asked.peeks++;
      return store.peek(key, policy, cost);
    },
    close: () => store.close(),
  };
  return { limiter, asked };
}
