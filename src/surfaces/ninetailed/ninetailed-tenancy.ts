import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TenantService } from '../../modules/tenants/tenant-service.js';
import { configNotFound } from './ninetailed-errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The environment an Experience API path names (null: none, or not resolved yet). */
    ninetailedEnvironmentId: string | null;
  }
  interface FastifyContextConfig {
    /** Experience API routes that answer even for an unknown organization or environment. */
    acceptUnknownTenant?: boolean;
  }
}

/**
 * Resolves `organizations/{organizationId}/environments/{environmentSlug}` (organization and
 * environment slugs) before the body is read, so that an unknown tenant costs no parsing.
 * This dialect's callers present no credential (open public access, see README): the path is
 * the only thing that names the environment.
 */
export function registerTenancy(app: FastifyInstance, tenants: TenantService): void {
  app.decorateRequest('ninetailedEnvironmentId', null);
  app.addHook('onRequest', async (request) => {
    const params = request.params as { organizationId?: string; environmentSlug?: string };
    if (params.organizationId === undefined || params.environmentSlug === undefined) return;
    const tenant = await tenants.findTenant(params.organizationId, params.environmentSlug);
    request.ninetailedEnvironmentId = tenant?.environment.id ?? null;
    if (!tenant && !request.routeOptions.config.acceptUnknownTenant) throw configNotFound();
  });
}

/** The environment of a request whose path names a known one. */
export function tenantOf(request: FastifyRequest): string {
  if (!request.ninetailedEnvironmentId) throw configNotFound();
  return request.ninetailedEnvironmentId;
}
