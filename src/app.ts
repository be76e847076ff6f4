import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Redis } from 'ioredis';
import { trustProxyOption } from './config/config.js';
import { AppError } from './errors/app-error.js';
import { HmacAuthenticator } from './modules/credentials/hmac-authenticator.js';
import {
  MemoryReplayGuard,
  RedisReplayGuard,
  type ReplayGuard,
} from './modules/credentials/replay-guard.js';
import { registerBodyAdmission } from './platform/body-admission.js';
import { frameworkErrorRouting } from './platform/framework-errors.js';
import { registerHealthRoutes } from './platform/health.js';
import { loggerOptions } from './platform/logging.js';
import { startMaintenance } from './platform/maintenance.js';
import { refuseControlCharactersInParams } from './platform/path-params.js';
import { createRateLimiter } from './platform/rate-limit/index.js';
import { genRequestId, registerRequestIdEcho } from './platform/request-id.js';
import { RequestLimits } from './platform/request-limits.js';
import { requestValidators } from './platform/validation.js';
import { type AppDeps, buildServices } from './services.js';
import { myPreferencesSurface } from './surfaces/mypreferences/mypreferences-surface.js';
import { sendProblem } from './surfaces/native/native-errors.js';
import { nativeSurface } from './surfaces/native/native-surface.js';
import { ninetailedSurface } from './surfaces/ninetailed/ninetailed-surface.js';
import { oauthSurface } from './surfaces/oauth/oauth-surface.js';
import { profileCommandSurface } from './surfaces/profile-command/profile-command-surface.js';
import { profileManagementSurface } from './surfaces/profile-management/profile-management-surface.js';
import { profilesReadSurface } from './surfaces/profiles-read/profiles-read-surface.js';
import { segmentSurface } from './surfaces/segment/segment-surface.js';

/**
 * Builds the Fastify app (it does not listen: see server.ts). Platform plugins first, then each
 * surface in its own encapsulated scope with its own body parsers, auth and error format.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, storage } = deps;
  const trustProxy: FastifyServerOptions['trustProxy'] = trustProxyOption(config.trustProxy);
  // Paths the router refuses answer in their surface's format (see framework-errors.ts).
  const pathErrors = frameworkErrorRouting(sendProblem);
  const app = Fastify({
    logger: loggerOptions(config.logLevel),
    genReqId: genRequestId,
    requestIdHeader: false,
    bodyLimit: config.bodyLimitBytes,
    routerOptions: { maxParamLength: 300 },
    forceCloseConnections: 'idle',
    trustProxy,
    return503OnClosing: true,
    frameworkErrors: pathErrors.frameworkErrors,
    schemaController: { compilersFactory: { buildValidator: requestValidators() } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const services = buildServices(deps, app.log);
  registerRequestIdEcho(app);
  registerBodyAdmission(app, config.bodyBytesInFlight);
  refuseControlCharactersInParams(app);
  pathErrors.register(app);
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
  app.setNotFoundHandler((request, reply) => {
    const error = new AppError(
      'not_found',
      `No route ${request.method} ${request.url.split('?')[0]}`,
    );
    reply
      .status(404)
      .type('application/problem+json')
      .send({
        type: `urn:tessera:problem:${error.code}`,
        title: error.message,
        status: 404,
        code: error.code,
        requestId: request.id,
      });
  });

  const limiter = createRateLimiter({
    redisUrl: config.redisUrl,
    prefix: `${config.redisPrefix}rl:`,
    onError: (err) => app.log.warn({ err }, 'rate limiter unavailable; allowing requests'),
    now: deps.now,
  });
  if (limiter.ready && !(await limiter.ready())) {
    app.log.warn('Redis did not answer within 2 s: rate limits are not enforced until it does');
  }
  const limits = new RequestLimits(
    limiter,
    { ratePerSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst },
    config.failedAuthPerMinute,
    config.redisUrl !== undefined,
  );
  const { verifier, tokens, service } = services.credentials;
  await verifier.revocations.start();
  const auth = { verifier, tokens, limits };
  // Replayed PNAUTHINFO3 signatures are remembered where every process can see them.
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1 }) : null;
  const replay: ReplayGuard = redis
    ? new RedisReplayGuard(redis, `${config.redisPrefix}replay:`)
    : new MemoryReplayGuard(deps.now);
  const hmac = new HmacAuthenticator(verifier, replay, deps.now);

  await app.register(oauthSurface, { tokens, limits });
  await app.register(nativeSurface, {
    prefix: '/v1',
    services: { ...services, credentials: service },
    auth,
    maxJsonDepth: config.maxJsonDepth,
    bodyLimitBytes: config.bodyLimitBytes,
  });
  await app.register(segmentSurface, {
    prefix: '/v1',
    services,
    auth,
    maxJsonDepth: config.maxJsonDepth,
  });

  await app.register(profileCommandSurface, { services, auth, maxJsonDepth: config.maxJsonDepth });
  await app.register(myPreferencesSurface, {
    services,
    auth,
    hmac,
    maxJsonDepth: config.maxJsonDepth,
  });

  // The profiles read API (002) lives under its own `/track` prefix, with its own 404 body.
  await app.register(profilesReadSurface, {
    prefix: '/track',
    services,
    auth,
    maxJsonDepth: config.maxJsonDepth,
  });

  // The 001 profile management API (Synerise-style) on the document's own paths: /v4, /crm/v1,
  // /morph/exports/clients, /notes-service, /push-devices, /sauth/management.
  await app.register(profileManagementSurface, {
    services,
    auth,
    maxJsonDepth: config.maxJsonDepth,
    bodyLimitBytes: config.bodyLimitBytes,
  });

  // The Experience API v2 (003) under `/v2`: public, no credential (see the surface's doc).
  await app.register(ninetailedSurface, {
    prefix: '/v2',
    services,
    limits,
    rateLimit: { ratePerSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst },
    maxJsonDepth: config.maxJsonDepth,
    keys: services.credentials.verifier,
  });

  const maintenance = startMaintenance(services.repo, config, app.log);
  services.jobs.start();
  services.webhooks.worker.start();
  app.addHook('onClose', async () => {
    await services.webhooks.worker.stop();
    services.bulk.stop();
    await services.jobs.stop();
    maintenance.stop();
    verifier.revocations.stop();
    await limits.close();
    await redis?.quit();
  });
  return app;
}
