import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors/app-error.js';
import type { TenantService } from '../../modules/tenants/tenant-service.js';
import { type Authenticators, registerAuth } from '../../platform/auth.js';
import { registerJsonParser } from '../../platform/json-body.js';
import { registerProfilesReadErrors } from './profiles-read-errors.js';
import { type ProfilesReadQueries, profilesReadRoutes } from './profiles-read-routes.js';

export const PROFILES_READ_SURFACE = 'profiles-read';

/** "The maximum size of any request is 1mb, exceeding this will return a 413 Error." */
export const MAX_REQUEST_BYTES = 1024 * 1024;

export interface ProfilesReadSurfaceOptions {
  services: ProfilesReadQueries & { tenants: TenantService };
  auth: Authenticators;
  maxJsonDepth: number;
}

/**
 * Every route is GET, and Fastify never reads a GET body, so the body limit would never fire:
 * the declared length is checked instead, before any other work.
 */
function registerRequestSizeCheck(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const length = Number(request.headers['content-length'] ?? 0);
    if (length > MAX_REQUEST_BYTES) throw new AppError('body_too_large');
  });
}

/**
 * The path's `{clientId}/{accountId}/{brandId}` must be a key of this surface bound to the
 * credential's own environment. An unknown triple and another environment's triple answer the
 * same 404, so a key never learns which triples exist elsewhere. Runs after authentication
 * (so a request without a credential is a 401 whatever the triple) and before validation.
 */
function registerTripleCheck(app: FastifyInstance, tenants: TenantService): void {
  app.addHook('onRequest', async (request) => {
    if (request.is404 || !request.principal) return;
    const {
      clientId = '',
      accountId = '',
      brandId = '',
    } = request.params as Record<string, string | undefined>;
    const parts = [clientId, accountId, brandId];
    // An encoded `/` inside one part would make two different triples spell the same key.
    const environmentId = parts.some((part) => part.includes('/'))
      ? undefined
      : await tenants.resolveSurfaceKey(PROFILES_READ_SURFACE, parts.join('/'));
    if (environmentId === undefined || environmentId !== request.principal.environmentId) {
      throw new AppError('not_found', 'Unknown clientId/accountId/brandId.');
    }
  });
}

/**
 * The profiles read API (the 002 document, Intilery's Profile API), mounted at `/track`:
 * `GET /track/{clientId}/{accountId}/{brandId}/v1/profiles[/{idType}:{id}/{traits|events|meta|metadata}]`.
 * Read-only, API keys in the `auth-token` header, errors as `{"error": {"code", "message"}}`,
 * and the request id echoed as `x-amzn-RequestId`.
 */
export const profilesReadSurface: FastifyPluginAsyncTypebox<ProfilesReadSurfaceOptions> = async (
  app,
  opts,
) => {
  app.removeAllContentTypeParsers();
  registerJsonParser(app, 'application/json', opts.maxJsonDepth);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-amzn-RequestId', request.id);
  });
  registerRequestSizeCheck(app);
  registerProfilesReadErrors(app);
  registerAuth(app, opts.auth, { surface: PROFILES_READ_SURFACE, accept: ['api_key'] });
  registerTripleCheck(app, opts.services.tenants);
  await app.register(profilesReadRoutes(opts.services));
};
