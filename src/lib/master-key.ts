import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Shortest master key accepted: 32 bytes of entropy, as base64 (44 chars) or any 32+ char string. */
export const MIN_MASTER_KEY_LENGTH = 32;

export class MasterKeyError extends Error {}

/**
 * The master key protects HMAC private keys at rest and signs OAuth tokens. In production it must
 * come from configuration (TESSERA_MASTER_KEY): the server refuses to start without it. In
 * development a random key is created once in `<data dir>/master.key` (mode 0600), so that a
 * quick start needs no setup and restarts keep working.
 */
export function resolveMasterKey(options: {
  configured: string | undefined;
  production: boolean;
  dataDir: string | null;
  warn: (message: string) => void;
}): Buffer {
  if (options.configured) {
    if (options.configured.length < MIN_MASTER_KEY_LENGTH) {
      throw new MasterKeyError(
        `TESSERA_MASTER_KEY must be at least ${MIN_MASTER_KEY_LENGTH} characters.`,
      );
    }
    return Buffer.from(options.configured, 'utf8');
  }
  if (options.production) {
    throw new MasterKeyError(
      'TESSERA_MASTER_KEY is required in production (NODE_ENV=production): generate one with ' +
        '`openssl rand -base64 32` and keep it secret.',
    );
  }
  if (!options.dataDir) {
    options.warn('No TESSERA_MASTER_KEY: using a random key for this in-memory run.');
    return randomBytes(32);
  }
  const file = path.join(options.dataDir, 'master.key');
  if (!existsSync(file)) {
    mkdirSync(options.dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
    chmodSync(file, 0o600);
    options.warn(
      `No TESSERA_MASTER_KEY: created a development master key in ${file}. Set one in production.`,
    );
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8');
}
