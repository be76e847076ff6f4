import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/config.js';
import type { ProfileRepository } from '../modules/profiles/profile-repository.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const EVERY_MS = 60 * 60 * 1000;

/** Hourly housekeeping off the request path: forgets messageIds past their retention. */
export function startMaintenance(repo: ProfileRepository, config: Config, log: FastifyBaseLogger) {
  const timer = setInterval(() => {
    repo.dedupe
      .prune(Date.now() - config.dedupeRetentionDays * DAY_MS)
      .then((removed) => removed > 0 && log.info({ removed }, 'pruned remembered messageIds'))
      .catch((err: unknown) => log.error({ err }, 'messageId pruning failed'));
  }, EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
