import os from 'node:os';
import path from 'node:path';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';

/**
 * The one configuration schema. It is read once at start (from environment variables, then
 * CLI flags on top) and passed down; no other file reads `process.env`.
 */
export const ConfigSchema = Type.Object({
  databaseUrl: Type.String({ minLength: 1 }),
  host: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  logLevel: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  /** Requests allowed to wait for one profile's write slot before answering 429. */
  maxWaitingPerProfile: Type.Integer({ minimum: 1 }),
  /** MiB of stored profile JSON whose parsed documents each process keeps (0: none). */
  profileCacheMib: Type.Number({ minimum: 0 }),
  /**
   * How far V8 lets the heap grow past what survived the last full collection before the next
   * one, in percent (0: V8's own factor, which grows to about four times; see heap-growth.ts).
   */
  heapGrowthPercent: Type.Integer({ minimum: 0, maximum: 400 }),
  /** How long a messageId is remembered for de-duplication (days, at least 7). */
  dedupeRetentionDays: Type.Integer({ minimum: 7 }),
  /** Largest request body accepted, bytes. */
  bodyLimitBytes: Type.Integer({ minimum: 1024 }),
  /**
   * Bytes of large request bodies (16 KiB or more) each process works on at once; the next one
   * waits once it has arrived (see platform/body-admission.ts). 0: no bound.
   */
  bodyBytesInFlight: Type.Integer({ minimum: 0 }),
  /** Deepest JSON nesting accepted in a request body. */
  maxJsonDepth: Type.Integer({ minimum: 2, maximum: 256 }),
  /** Queued jobs (imports, exports, erasures) each process runs at once. */
  jobConcurrency: Type.Integer({ minimum: 1, maximum: 64 }),
  /** PostgreSQL: connections in each process's pool. */
  databasePoolSize: Type.Integer({ minimum: 2, maximum: 1000 }),
  /** SQLite `synchronous` level: NORMAL survives a process crash in WAL mode; FULL also power loss. */
  sqliteSynchronous: Type.Union([Type.Literal('NORMAL'), Type.Literal('FULL')]),
  /**
   * HTTP worker processes of `serve` (node:cluster, sharing the port). 1 runs one process and no
   * primary; more need Redis for shared rate limits (see docs/deployment.md).
   */
  workers: Type.Integer({ minimum: 1, maximum: 256 }),
  /** Grace period for in-flight requests on shutdown, ms. */
  shutdownGraceMs: Type.Integer({ minimum: 0 }),
  /** `production` demands a real master key. */
  nodeEnv: Type.Enum(['development', 'production', 'test']),
  /** Protects HMAC keys at rest and signs OAuth tokens (required in production). */
  masterKey: Type.Optional(Type.String({ minLength: 32 })),
  /** With a Redis URL, rate-limit buckets are shared by every Tessera process. */
  redisUrl: Type.Optional(Type.String({ minLength: 1 })),
  /** Prefix of every Redis key Tessera writes (several deployments may share one Redis). */
  redisPrefix: Type.String({ minLength: 1 }),
  /** Default per-credential token bucket: sustained requests/s and burst. */
  rateLimitPerSecond: Type.Number({ exclusiveMinimum: 0 }),
  rateLimitBurst: Type.Integer({ minimum: 1 }),
  /**
   * Behind a load balancer: trust `X-Forwarded-For` from these hops (`true`, a hop count, or a
   * comma-separated list of addresses/CIDRs), so per-address limits and recorded addresses are
   * the client's. Off by default: a direct client could otherwise claim any address.
   */
  trustProxy: Type.String(),
  /** Failed authentications allowed per client address per minute (then 429). */
  failedAuthPerMinute: Type.Integer({ minimum: 1 }),
  /** Default lifetime of OAuth access tokens (seconds); each client may override it. */
  tokenTtlSeconds: Type.Integer({ minimum: 60, maximum: 86_400 }),
  /** How long a rotated-out secret keeps working (seconds). */
  rotationGraceSeconds: Type.Integer({ minimum: 0 }),
  /** Let webhooks reach private, loopback and link-local addresses (local testing only). */
  webhooksAllowPrivateTargets: Type.Boolean(),
  /** How long one webhook delivery attempt may take, ms. */
  webhookTimeoutMs: Type.Integer({ minimum: 100, maximum: 60_000 }),
  /** First retry delay of a failed delivery, ms (doubles per attempt, with jitter). */
  webhookRetryBaseMs: Type.Integer({ minimum: 10 }),
  /** Attempts before a delivery is marked failed. */
  webhookMaxAttempts: Type.Integer({ minimum: 1, maximum: 50 }),
  /** Webhook deliveries each process sends at once. */
  webhookConcurrency: Type.Integer({ minimum: 1, maximum: 256 }),
  /**
   * How long the change feed holds back new events (on PostgreSQL, also before the oldest open
   * transaction: see ChangeEventStore.settledBefore), ms; 0 turns the hold off.
   */
  changeFeedHoldMs: Type.Integer({ minimum: 0, maximum: 600_000 }),
});
export type Config = Static<typeof ConfigSchema>;

export const DEFAULT_CONFIG: Config = {
  databaseUrl: `sqlite://${path.join('data', 'tessera.db')}`,
  host: '127.0.0.1',
  port: 8080,
  logLevel: 'info',
  maxWaitingPerProfile: 50,
  profileCacheMib: 16,
  heapGrowthPercent: 50,
  dedupeRetentionDays: 30,
  bodyLimitBytes: 1024 * 1024,
  bodyBytesInFlight: 512 * 1024,
  maxJsonDepth: 32,
  jobConcurrency: 4,
  databasePoolSize: 10,
  sqliteSynchronous: 'NORMAL',
  workers: Math.min(256, os.availableParallelism()),
  shutdownGraceMs: 10_000,
  nodeEnv: 'development',
  redisPrefix: 'tessera:',
  rateLimitPerSecond: 100,
  rateLimitBurst: 500,
  failedAuthPerMinute: 20,
  trustProxy: 'false',
  tokenTtlSeconds: 28_800,
  rotationGraceSeconds: 86_400,
  webhooksAllowPrivateTargets: false,
  webhookTimeoutMs: 10_000,
  webhookRetryBaseMs: 30_000,
  webhookMaxAttempts: 10,
  webhookConcurrency: 4,
  changeFeedHoldMs: 1000,
};

/** Environment variable → config key. */
const ENV_KEYS: Record<string, keyof Config> = {
  DATABASE_URL: 'databaseUrl',
  HOST: 'host',
  PORT: 'port',
  LOG_LEVEL: 'logLevel',
  TESSERA_MAX_WAITING_PER_PROFILE: 'maxWaitingPerProfile',
  TESSERA_PROFILE_CACHE_MIB: 'profileCacheMib',
  TESSERA_HEAP_GROWTH_PERCENT: 'heapGrowthPercent',
  TESSERA_DEDUPE_RETENTION_DAYS: 'dedupeRetentionDays',
  TESSERA_BODY_LIMIT_BYTES: 'bodyLimitBytes',
  TESSERA_BODY_BYTES_IN_FLIGHT: 'bodyBytesInFlight',
  TESSERA_MAX_JSON_DEPTH: 'maxJsonDepth',
  TESSERA_DATABASE_POOL_SIZE: 'databasePoolSize',
  TESSERA_JOB_CONCURRENCY: 'jobConcurrency',
  TESSERA_SQLITE_SYNCHRONOUS: 'sqliteSynchronous',
  TESSERA_WORKERS: 'workers',
  TESSERA_SHUTDOWN_GRACE_MS: 'shutdownGraceMs',
  NODE_ENV: 'nodeEnv',
  TESSERA_MASTER_KEY: 'masterKey',
  REDIS_URL: 'redisUrl',
  TESSERA_REDIS_PREFIX: 'redisPrefix',
  TESSERA_RATE_LIMIT_PER_SECOND: 'rateLimitPerSecond',
  TESSERA_RATE_LIMIT_BURST: 'rateLimitBurst',
  TESSERA_FAILED_AUTH_PER_MINUTE: 'failedAuthPerMinute',
  TESSERA_TRUST_PROXY: 'trustProxy',
  TESSERA_TOKEN_TTL_SECONDS: 'tokenTtlSeconds',
  TESSERA_ROTATION_GRACE_SECONDS: 'rotationGraceSeconds',
  TESSERA_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'webhooksAllowPrivateTargets',
  TESSERA_WEBHOOK_TIMEOUT_MS: 'webhookTimeoutMs',
  TESSERA_WEBHOOK_RETRY_BASE_MS: 'webhookRetryBaseMs',
  TESSERA_WEBHOOK_MAX_ATTEMPTS: 'webhookMaxAttempts',
  TESSERA_WEBHOOK_CONCURRENCY: 'webhookConcurrency',
  TESSERA_CHANGE_FEED_HOLD_MS: 'changeFeedHoldMs',
};

/** Settings whose values never appear in an error message. */
const SECRET_KEYS = new Set(['masterKey', 'redisUrl', 'databaseUrl']);

export class ConfigError extends Error {}

/** The `trustProxy` setting as Fastify takes it (a hop count becomes a per-hop test). */
export function trustProxyOption(
  value: string,
): boolean | string | ((address: string, hop: number) => boolean) {
  if (value === 'true') return true;
  if (value === 'false' || value === '') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  return value;
}

/**
 * Builds the config from defaults, then `env`, then `overrides` (CLI flags), and validates it.
 * Throws a ConfigError that names every bad setting and the variable it came from.
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  overrides: Partial<Record<keyof Config, unknown>> = {},
): Config {
  const raw: Record<string, unknown> = { ...DEFAULT_CONFIG };
  const origin: Record<string, string> = {};
  for (const [variable, key] of Object.entries(ENV_KEYS)) {
    const value = env[variable];
    if (value !== undefined && value !== '') {
      raw[key] = value;
      origin[key] = variable;
    }
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) {
      raw[key] = value;
      origin[key] = `--${key}`;
    }
  }
  const converted = Value.Convert(ConfigSchema, raw);
  const problems = new Map<string, string>();
  for (const e of Value.Errors(ConfigSchema, converted)) {
    const key = e.instancePath.replace(/^\//, '');
    const shown = SECRET_KEYS.has(key) ? 'a hidden value' : JSON.stringify(raw[key]);
    problems.set(key, `${origin[key] ?? key}: ${e.message} (got ${shown})`);
  }
  if (problems.size > 0) {
    throw new ConfigError(`Invalid configuration:\n  ${[...problems.values()].join('\n  ')}`);
  }
  return converted as Config;
}
