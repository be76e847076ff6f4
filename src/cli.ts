#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from './config/config.js';
import { MasterKeyError } from './lib/master-key.js';
import { isScope, type Scope } from './modules/credentials/scopes.js';
import { createKey, startServer } from './server.js';
import { migrateToLatest } from './storage/migrator.js';
import { createStorage } from './storage/storage.js';

/** The only place that reads `process.env`: flags override environment variables. */
function configFrom(flags: {
  databaseUrl?: string;
  host?: string;
  port?: string;
  logLevel?: string;
}) {
  return loadConfig(process.env, {
    databaseUrl: flags.databaseUrl,
    host: flags.host,
    port: flags.port,
    logLevel: flags.logLevel,
  });
}

function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

function parseScopes(value: string): Scope[] {
  const scopes = value.split(',').map((s) => s.trim());
  const bad = scopes.filter((s) => !isScope(s));
  if (bad.length > 0) throw new InvalidArgumentError(`unknown scope(s): ${bad.join(', ')}`);
  return scopes as Scope[];
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
  .action(async (flags) => {
    const config = configFrom(flags);
    const server = await startServer(
      config,
      (key, tenant) => {
        process.stdout.write(
          `\nCreated organization "${tenant.organization}" with environment "${tenant.environment}".\n` +
            `Admin API key (shown once, store it now):\n\n  ${key}\n\n`,
        );
      },
      warn,
    );
    process.stdout.write(`Tessera listening on ${server.url} (docs at ${server.url}/docs)\n`);
    const shutdown = (signal: string) => {
      server.app.log.info({ signal }, 'shutting down');
      server.stop().then(
        () => process.exit(0),
        (err) => {
          server.app.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
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

program.parseAsync().catch((error: unknown) => {
  const known = error instanceof ConfigError || error instanceof MasterKeyError;
  process.stderr.write(`${known ? (error as Error).message : String(error)}\n`);
  process.exit(1);
});
