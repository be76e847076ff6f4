import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config/config.js';
import { ApiKeyService } from './modules/credentials/api-key-service.js';
import { ProfileIngestService } from './modules/profiles/profile-ingest-service.js';
import { ProfileMergeService } from './modules/profiles/profile-merge-service.js';
import { ProfileQueryService } from './modules/profiles/profile-query-service.js';
import { ProfileRepository } from './modules/profiles/profile-repository.js';
import { TenantService } from './modules/tenants/tenant-service.js';
import { registerHealthRoutes } from './platform/health.js';
import { loggerOptions } from './platform/logging.js';
import { startMaintenance } from './platform/maintenance.js';
import { genRequestId, registerRequestIdEcho } from './platform/request-id.js';
import type { Storage } from './storage/storage.js';
import { nativeSurface } from './surfaces/native/native-surface.js';

export interface AppDeps {
  config: Config;
  storage: Storage;
}

/** The application's services, built once and shared by every surface. */
export interface Services {
  tenants: TenantService;
  apiKeys: ApiKeyService;
  ingest: ProfileIngestService;
  queries: ProfileQueryService;
  merges: ProfileMergeService;
  repo: ProfileRepository;
}

export function buildServices(deps: AppDeps): Services {
  const repo = new ProfileRepository(deps.storage, deps.config.maxWaitingPerProfile);
  const queries = new ProfileQueryService(repo);
  return {
    tenants: new TenantService(deps.storage.db),
    apiKeys: new ApiKeyService(deps.storage.db),
    ingest: new ProfileIngestService(repo),
    queries,
    merges: new ProfileMergeService(repo, queries),
    repo,
  };
}

/**
 * Builds the Fastify app (it does not listen: see server.ts). Platform plugins first, then each
 * surface in its own encapsulated scope with its own body parsers, auth and error format.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, storage } = deps;
  const services = buildServices(deps);
  const app = Fastify({
    logger: loggerOptions(config.logLevel),
    genReqId: genRequestId,
    requestIdHeader: false,
    bodyLimit: config.bodyLimitBytes,
    routerOptions: { maxParamLength: 300 },
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  registerRequestIdEcho(app);
  // Shared by every surface's auth hook, so the root sees all authenticated routes.
  app.decorate('routeTable', []);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tessera',
        version: '0.1.0',
        description: 'Self-hosted customer profiles and personalization. Native API at /v1.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  registerHealthRoutes(app, storage);

  await app.register(nativeSurface, {
    prefix: '/v1',
    services,
    verifier: services.apiKeys,
    maxJsonDepth: config.maxJsonDepth,
  });

  const maintenance = startMaintenance(services.repo, config, app.log);
  app.addHook('onClose', async () => maintenance.stop());
  return app;
}
