#!/usr/bin/env node
import cluster from 'node:cluster';
import { Command, InvalidArgumentError } from 'commander';
import type { FastifyBaseLogger } from 'fastify';
import { runPrimary } from './cluster/cluster-primary.js';
import { exitOnSignals, serveWorker } from './cluster/serve-worker.js';
import { type Config, ConfigError, loadConfig } from './config/config.js';
import { AppError } from './errors/app-error.js';
import { MasterKeyError } from './lib/master-key.js';
import { exportFile, importFile } from './modules/bulk/bulk-commands.js';
import { isScope, type Scope } from './modules/credentials/scopes.js';
import { TenantService } from './modules/tenants/tenant-service.js';
import { applyHeapGrowth } from './platform/heap-growth.js';
import { createKey, masterKeyFor, prepareDatabase, startServer } from './server.js';
import { buildServices, type Services } from './services.js';
import { migrateToLatest } from './storage/migrator.js';
import { isPostgresUrl } from './storage/postgres.js';
import { createStorage, sqliteFileFromUrl } from './storage/storage.js';
import { presentEvent, presentProfile } from './surfaces/native/native-presenters.js';

/** The only place that reads `process.env`: flags override environment variables. */
function configFrom(flags: {
  databaseUrl?: string;
  host?: string;
  port?: string;
  logLevel?: string;
  workers?: string;
}) {
  return loadConfig(process.env, {
    databaseUrl: flags.databaseUrl,
    host: flags.host,
    port: flags.port,
    logLevel: flags.logLevel,
    workers: flags.workers,
  });
}

function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

function printAdminKey(key: string, tenant: { organization: string; environment: string }): void {
  process.stdout.write(
    `\nCreated organization "${tenant.organization}" with environment "${tenant.environment}".\n` +
      `Admin API key (shown once, store it now):\n\n  ${key}\n\n`,
  );
}

/** Worker processes for `serve`: an in-memory SQLite database cannot be shared, so one. */
function workerCount(config: Config): number {
  const inMemory =
    !isPostgresUrl(config.databaseUrl) && sqliteFileFromUrl(config.databaseUrl) === ':memory:';
  if (inMemory && config.workers > 1) {
    warn('an in-memory database cannot be shared by several processes: serving with one.');
    return 1;
  }
  return config.workers;
}

function parseScopes(value: string): Scope[] {
  const scopes = value.split(',').map((s) => s.trim());
  const bad = scopes.filter((s) => !isScope(s));
  if (bad.length > 0) throw new InvalidArgumentError(`unknown scope(s): ${bad.join(', ')}`);
  return scopes as Scope[];
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new InvalidArgumentError('must be an integer from 1 to 10000');
  return n;
}

/** Warnings only: the CLI's services run no job worker and serve no requests. */
function cliLogger(): FastifyBaseLogger {
  const noop = () => undefined;
  const logger = {
    level: 'warn',
    fatal: noop,
    error: noop,
    warn: noop,
    info: noop,
    debug: noop,
    trace: noop,
    silent: noop,
    child: () => logger,
  };
  return logger as unknown as FastifyBaseLogger;
}

/** Opens the database and the services for one existing environment, then closes them. */
async function withEnvironment<T>(
  flags: { databaseUrl?: string; org: string; env: string },
  run: (services: Services, environmentId: string, config: Config) => Promise<T>,
): Promise<T> {
  const config = configFrom(flags);
  applyHeapGrowth(config.heapGrowthPercent);
  const storage = await createStorage(config.databaseUrl, {
    sqliteSynchronous: config.sqliteSynchronous,
  });
  try {
    const tenant = await new TenantService(storage.db).findTenant(flags.org, flags.env);
    if (!tenant) throw new AppError('not_found', `No environment ${flags.org}/${flags.env}.`);
    // The master key matters: the suppression list is keyed by it, so opt-outs hold for imports.
    const services = buildServices(
      { config, storage, masterKey: masterKeyFor(config, warn) },
      cliLogger(),
    );
    return await run(services, tenant.environment.id, config);
  } finally {
    await storage.close();
  }
}

/** First Ctrl-C: stop after the batch in progress (a second one ends the process at once). */
function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nstopping after the current batch (Ctrl-C again to abort now)\n');
    controller.abort();
  });
  return controller.signal;
}

const program = new Command()
  .name('tessera')
  .description('Self-hosted customer profile and personalization server')
  .showHelpAfterError();

program
  .command('serve')
  .description('Start the HTTP server (migrates the database first)')
  .option('--database-url <url>', 'database, e.g. sqlite://data/tessera.db (env DATABASE_URL)')
  .option('--host <host>', 'address to listen on (env HOST, default 127.0.0.1)')
  .option('--port <port>', 'port to listen on (env PORT, default 8080)')
  .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env LOG_LEVEL)')
  .option(
    '--workers <n>',
    'HTTP worker processes sharing the port (env TESSERA_WORKERS, default one per core; 1: no primary)',
  )
  .action(async (flags) => {
    const config = configFrom(flags);
    applyHeapGrowth(config.heapGrowthPercent);
    if (cluster.isWorker) return serveWorker(config, warn);
    const workers = workerCount(config);
    if (workers === 1) {
      const server = await startServer(config, printAdminKey, warn);
      process.stdout.write(`Tessera listening on ${server.url} (docs at ${server.url}/docs)\n`);
      exitOnSignals(server);
      return;
    }
    if (!config.redisUrl) {
      warn(
        `${workers} workers without REDIS_URL: rate limits and replayed-signature checks are per ` +
          `process, so a key may get up to ${workers}× its limit. Set REDIS_URL to share them.`,
      );
    }
    // Migrations, the default tenant and its first admin key: once, before any worker starts.
    await prepareDatabase(config, printAdminKey, warn);
    runPrimary({
      workers,
      shutdownGraceMs: config.shutdownGraceMs,
      logLevel: config.logLevel,
      onListening: (url) =>
        process.stdout.write(
          `Tessera listening on ${url} with ${workers} workers (docs at ${url}/docs)\n`,
        ),
    });
  });

program
  .command('migrate')
  .description('Apply pending database migrations and exit')
  .option('--database-url <url>', 'database (env DATABASE_URL)')
  .action(async (flags) => {
    const config = configFrom(flags);
    const storage = await createStorage(config.databaseUrl, { migrate: false });
    const applied = await migrateToLatest(storage.db);
    await storage.close();
    process.stdout.write(
      applied.length ? `Applied: ${applied.join(', ')}\n` : 'Already up to date.\n',
    );
  });

const keys = program.command('keys').description('Manage API keys');
keys
  .command('create')
  .description('Create an API key for an environment and print it (once)')
  .option('--database-url <url>', 'database (env DATABASE_URL)')
  .option('--org <slug>', 'organization slug', 'default')
  .option('--env <slug>', 'environment slug', 'main')
  .option('--name <name>', 'a name to recognize the key by', 'cli')
  .option('--scopes <list>', 'comma-separated: read,write,admin,privacy', parseScopes, [
    'read',
    'write',
  ] as Scope[])
  .option('--write-key', 'create a write key (HTTP Basic user of the tracking endpoints) instead')
  .action(async (flags) => {
    const config = configFrom(flags);
    const issued = await createKey(
      config,
      {
        org: flags.org,
        env: flags.env,
        name: flags.name,
        scopes: flags.scopes,
        kind: flags.writeKey ? 'write_key' : 'api_key',
      },
      warn,
    );
    process.stdout.write(`${issued.secret}\n`);
    process.stderr.write(
      `id ${issued.credential.id}, scopes ${issued.credential.scopes.join(',')}, environment ${flags.org}/${flags.env}\n`,
    );
  });

program
  .command('import')
  .description(
    'Import events (NDJSON, one event per line) or profiles (CSV, one identify per row); a re-run skips what was applied',
  )
  .argument('<file>', 'the file to import')
  .option('--database-url <url>', 'database (env DATABASE_URL)')
  .option('--org <slug>', 'organization slug', 'default')
  .option('--env <slug>', 'environment slug', 'main')
  .option('--format <format>', 'ndjson or csv (default: from the file extension)')
  .option(
    '--map <columns>',
    'CSV columns onto event fields: email=traits.email,user_id=userId (fields userId, anonymousId, profileId, messageId, timestamp, traits.<name>)',
  )
  .option('--batch-size <n>', 'events per batch (the unit of progress)', parseCount, 500)
  .option('--concurrency <n>', 'profiles applied at once within a batch', parseCount, 16)
  .action(async (file: string, flags) => {
    if (flags.format !== undefined && flags.format !== 'ndjson' && flags.format !== 'csv')
      throw new InvalidArgumentError('--format must be ndjson or csv');
    const result = await withEnvironment(flags, (services, environmentId, config) =>
      importFile(
        services.ingest,
        {
          environmentId,
          file,
          format: flags.format,
          map: flags.map,
          batchSize: flags.batchSize,
          concurrency: flags.concurrency,
          maxJsonDepth: config.maxJsonDepth,
          signal: interruptSignal(),
        },
        { out: process.stdout, err: process.stderr },
      ),
    );
    if (result.interrupted) process.exitCode = 130;
  });

program
  .command('export')
  .description('Export profiles and/or their events as NDJSON, filtered by audience or rule')
  .option('--database-url <url>', 'database (env DATABASE_URL)')
  .option('--org <slug>', 'organization slug', 'default')
  .option('--env <slug>', 'environment slug', 'main')
  .option('--what <what>', 'profiles, events or both', 'profiles')
  .option('--audience <id>', 'only members of this published audience')
  .option('--rule <json>', 'only profiles matching this audience rule (JSON)')
  .option('--out <file>', 'write to this file (default: stdout)')
  .action(async (flags) => {
    const result = await withEnvironment(flags, (services, environmentId) =>
      exportFile(
        {
          queries: services.queries,
          events: services.repo.events,
          personalization: services.personalization,
          definitions: services.definitions,
        },
        { profile: presentProfile, event: presentEvent },
        {
          environmentId,
          what: flags.what,
          audience: flags.audience,
          rule: flags.rule,
          out: flags.out,
          signal: interruptSignal(),
        },
        { out: process.stdout, err: process.stderr, stdout: process.stdout },
      ),
    );
    if (result.interrupted) process.exitCode = 130;
  });

program.parseAsync().catch((error: unknown) => {
  const known =
    error instanceof ConfigError || error instanceof MasterKeyError || error instanceof AppError;
  process.stderr.write(`${known ? (error as Error).message : String(error)}\n`);
  process.exit(1);
});
