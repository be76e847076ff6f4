import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../../modules/credentials/credential-types.js';
import { settingsOf, type TenantService } from '../../modules/tenants/tenant-service.js';
import { configNotFound, NinetailedError } from './ninetailed-errors.js';

/** What the Experience API needs of the credentials module: checking a publishable key. */
export interface PublishableKeys {
  verifyKey(presented: string, kind: 'publishable_key'): Promise<Principal | null>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The environment an Experience API path names (null: none, or not resolved yet). */
    ninetailedEnvironmentId: string | null;
    /** The publishable key named instead of an organization id (locked public access). */
    ninetailedPublicKeyId: string | null;
  }
  interface FastifyContextConfig {
    /** Experience API routes that answer even for an unknown organization or environment. */
    acceptUnknownTenant?: boolean;
  }
}

/**
 * Resolves `organizations/{organizationId}/environments/{environmentSlug}` before the body is
 * read, so that an unknown tenant costs no parsing. The SDKs present no credential: the path is
 * the only thing that names the environment. In **open** mode the organization id is the
 * organization's slug. In **locked** mode it must be a publishable key (`tpk_…`, configured as
 * the SDK's `clientId`) of that environment; the slug is refused, and the key limits which
 * profiles the caller reaches.
 */
export function registerTenancy(
  app: FastifyInstance,
  tenants: TenantService,
  keys: PublishableKeys,
): void {
  app.decorateRequest('ninetailedEnvironmentId', null);
  app.decorateRequest('ninetailedPublicKeyId', null);
  app.addHook('onRequest', async (request) => {
    const params = request.params as { organizationId?: string; environmentSlug?: string };
    if (params.organizationId === undefined || params.environmentSlug === undefined) return;
    const tolerant = request.routeOptions.config.acceptUnknownTenant === true;
    if (params.organizationId.startsWith('tpk_')) {
      const principal = await keys.verifyKey(params.organizationId, 'publishable_key');
      const environment = principal && (await tenants.findEnvironmentById(principal.environmentId));
      if (environment?.slug === params.environmentSlug) {
        request.ninetailedEnvironmentId = environment.id;
        request.ninetailedPublicKeyId = principal!.credentialId;
        return;
      }
      if (!tolerant) throw configNotFound();
      return;
    }
    const tenant = await tenants.findTenant(params.organizationId, params.environmentSlug);
    if (tenant && settingsOf(tenant.environment).publicAccess === 'locked') {
      if (tolerant) return;
      throw new NinetailedError(
        404,
        'ERR_CONFIG_NOT_FOUND',
        'This environment requires a publishable key as the organization id.',
      );
    }
    request.ninetailedEnvironmentId = tenant?.environment.id ?? null;
    if (!tenant && !tolerant) throw configNotFound();
  });
}

/** The publishable key a locked-mode request named (undefined in open mode). */
export function publicKeyOf(request: FastifyRequest): string | undefined {
  return request.ninetailedPublicKeyId ?? undefined;
}

/** The environment of a request whose path names a known one. */
export function tenantOf(request: FastifyRequest): string {
  if (!request.ninetailedEnvironmentId) throw configNotFound();
  return request.ninetailedEnvironmentId;
}
