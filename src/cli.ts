#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from './config/config.js';
import { ApiKeyService } from './modules/credentials/api-key-service.js';
import { isScope, type Scope } from './modules/credentials/scopes.js';
import { TenantService } from './modules/tenants/tenant-service.js';
import { startServer } from './server.js';
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
    const server = await startServer(config, (key, tenant) => {
      process.stdout.write(
        `\nCreated organization "${tenant.organization}" with environment "${tenant.environment}".\n` +
          `Admin API key (shown once, store it now):\n\n  ${key}\n\n`,
      );
    });
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
  .option('--scopes <list>', 'comma-separated: read,write,admin', parseScopes, [
    'read',
    'write',
  ] as Scope[])
  .action(async (flags) => {
    const config = configFrom(flags);
    const storage = await createStorage(config.databaseUrl);
    try {
      const tenant = await new TenantService(storage.db).ensureTenant(flags.org, flags.env);
      const key = await new ApiKeyService(storage.db).createApiKey(
        tenant.environment.id,
        flags.name,
        flags.scopes,
      );
      process.stdout.write(`${key.key}\n`);
      process.stderr.write(
        `id ${key.id}, scopes ${key.scopes.join(',')}, environment ${flags.org}/${flags.env}\n`,
      );
    } finally {
      await storage.close();
    }
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
});
