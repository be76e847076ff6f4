import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config/config.js';
import { resolveMasterKey } from './lib/master-key.js';
import type { IssuedSecret } from './modules/credentials/credential-types.js';
import { createCredentialsModule } from './modules/credentials/credentials-module.js';
import type { Scope } from './modules/credentials/scopes.js';
import { TenantService } from './modules/tenants/tenant-service.js';
import { isPostgresUrl } from './storage/postgres.js';
import { createStorage, type Storage, sqliteFileFromUrl } from './storage/storage.js';

export interface RunningServer {
  app: FastifyInstance;
  storage: Storage;
  url: string;
  /** Stops accepting, drains in-flight requests (up to the grace period), closes the database. */
  stop(): Promise<void>;
}

/**
 * The master key for this configuration. In development it is kept beside the SQLite file, or
 * in `./data` on PostgreSQL: a key that changed on every start would orphan sealed HMAC keys
 * and the suppression list's hashes.
 */
export function masterKeyFor(config: Config, warn: (message: string) => void): Buffer {
  let dataDir: string | null;
  if (isPostgresUrl(config.databaseUrl)) dataDir = path.resolve('data');
  else {
    const file = sqliteFileFromUrl(config.databaseUrl);
    dataDir = file === ':memory:' ? null : path.dirname(path.resolve(file));
  }
  return resolveMasterKey({
    configured: config.masterKey,
    production: config.nodeEnv === 'production',
    dataDir,
    warn,
  });
}

/** Creates an API key in `org/env` (created when missing): the CLI's `keys create`. */
export async function createKey(
  config: Config,
  options: {
    org: string;
    env: string;
    name: string;
    scopes: Scope[];
    kind?: 'api_key' | 'write_key';
  },
  warn: (message: string) => void,
): Promise<IssuedSecret> {
  const storage = await createStorage(config.databaseUrl, {
    sqliteSynchronous: config.sqliteSynchronous,
    poolSize: config.databasePoolSize,
  });
  try {
    const tenant = await new TenantService(storage.db).ensureTenant(options.org, options.env);
    const credentials = createCredentialsModule(storage.db, masterKeyFor(config, warn), config);
    return await credentials.service.create(tenant.environment.id, {
      kind: options.kind ?? 'api_key',
      name: options.name,
      scopes: options.scopes,
    });
  } finally {
    await storage.close();
  }
}

type FirstAdminKeyHandler = (
  key: string,
  tenant: { organization: string; environment: string },
) => void;

/** Makes sure the default tenant exists; on a brand-new one, creates the first admin key. */
async function bootstrapTenant(
  storage: Storage,
  config: Config,
  masterKey: Buffer,
  onFirstAdminKey: FirstAdminKeyHandler,
): Promise<void> {
  const tenant = await new TenantService(storage.db).ensureTenant();
  if (!tenant.created) return;
  const credentials = createCredentialsModule(storage.db, masterKey, config);
  const issued = await credentials.service.create(tenant.environment.id, {
    kind: 'api_key',
    name: 'first admin key',
    scopes: ['admin'],
  });
  onFirstAdminKey(issued.secret, {
    organization: tenant.organization.slug,
    environment: tenant.environment.slug,
  });
}

/**
 * What the primary of `serve --workers N` does once before forking: resolves the master key
 * (creating the development key file), migrates, and bootstraps the default tenant, so that
 * workers find everything in place and never race each other to create it.
 */
export async function prepareDatabase(
  config: Config,
  onFirstAdminKey: FirstAdminKeyHandler,
  warn: (message: string) => void,
): Promise<void> {
  const masterKey = masterKeyFor(config, warn);
  const storage = await createStorage(config.databaseUrl, {
    sqliteSynchronous: config.sqliteSynchronous,
    poolSize: config.databasePoolSize,
  });
  try {
    await bootstrapTenant(storage, config, masterKey, onFirstAdminKey);
  } finally {
    await storage.close();
  }
}

/**
 * Opens the database (migrating it), makes sure the default organization and environment
 * exist, and listens. On a brand-new environment it creates a first admin key and hands it to
 * `onFirstAdminKey`: the only time that key is ever visible. A cluster worker passes
 * `prepared: true`: its primary has done both already (see {@link prepareDatabase}).
 */
export async function startServer(
  config: Config,
  onFirstAdminKey: FirstAdminKeyHandler,
  warn: (message: string) => void,
  options: { prepared?: boolean } = {},
): Promise<RunningServer> {
  const masterKey = masterKeyFor(config, warn);
  const storage = await createStorage(config.databaseUrl, {
    sqliteSynchronous: config.sqliteSynchronous,
    poolSize: config.databasePoolSize,
    migrate: !options.prepared,
  });
  if (!options.prepared) await bootstrapTenant(storage, config, masterKey, onFirstAdminKey);
  const app = await buildApp({ config, storage, masterKey });
  const url = await app.listen({ host: config.host, port: config.port });

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      const timer = setTimeout(() => app.server.closeAllConnections(), config.shutdownGraceMs);
      timer.unref();
      await app.close();
      clearTimeout(timer);
      await storage.close();
    })();
    return stopping;
  };
  return { app, storage, url, stop };
}
