import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config/config.js';
import { ApiKeyService } from './modules/credentials/api-key-service.js';
import { TenantService } from './modules/tenants/tenant-service.js';
import { createStorage, type Storage } from './storage/storage.js';

export interface RunningServer {
  app: FastifyInstance;
  storage: Storage;
  url: string;
  /** Stops accepting, drains in-flight requests (up to the grace period), closes the database. */
  stop(): Promise<void>;
}

/**
 * Opens the database (migrating it), makes sure the default organization and environment
 * exist, and listens. On a brand-new environment it creates a first admin key and hands it to
 * `onFirstAdminKey`: the only time that key is ever visible.
 */
export async function startServer(
  config: Config,
  onFirstAdminKey: (key: string, tenant: { organization: string; environment: string }) => void,
): Promise<RunningServer> {
  const storage = await createStorage(config.databaseUrl, {
    sqliteSynchronous: config.sqliteSynchronous,
  });
  const tenant = await new TenantService(storage.db).ensureTenant();
  if (tenant.created) {
    const key = await new ApiKeyService(storage.db).createApiKey(
      tenant.environment.id,
      'first admin key',
      ['admin'],
    );
    onFirstAdminKey(key.key, {
      organization: tenant.organization.slug,
      environment: tenant.environment.slug,
    });
  }
  const app = await buildApp({ config, storage });
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
