import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { registerRouteTable } from '../../platform/auth.js';
import { registerJsonParser } from '../../platform/json-body.js';
import { clientAddressKey, type RateLimitPolicy } from '../../platform/rate-limit/index.js';
import { batchRoutes } from './ninetailed-batch-routes.js';
import { registerNinetailedErrors } from './ninetailed-errors.js';
import { profileRoutes } from './ninetailed-profile-routes.js';
import type { NinetailedServices } from './ninetailed-profiles.js';
import { type PublishableKeys, registerTenancy } from './ninetailed-tenancy.js';

export interface NinetailedSurfaceOptions {
  services: NinetailedServices;
  /** The shared request limiter (platform/request-limits.ts). */
  limits: {
    take(key: string, policy: RateLimitPolicy, reply: FastifyReply, cost?: number): Promise<void>;
  };
  /** The bucket each client address gets on this surface. */
  rateLimit: RateLimitPolicy;
  maxJsonDepth: number;
  /** Checks publishable keys (locked public access). */
  keys: PublishableKeys;
}

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'retry-after, x-request-id',
};

/** On every answer. Profiles are personal data: no shared cache may keep one. */
const ANSWER_HEADERS = { ...CORS_HEADERS, 'cache-control': 'no-store' };

const PREFLIGHT_HEADERS = {
  ...CORS_HEADERS,
  'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
  'access-control-allow-headers': 'content-type, x-force-ip',
  'access-control-max-age': '86400',
};

/**
 * Cross-origin access for pages on any site, as the vendor's service allows: every answer
 * (errors included) carries `Access-Control-Allow-Origin: *`, and preflights are answered.
 * The SDKs' own requests are "simple" (text/plain POST, header-less GET) and need no
 * preflight; a page posting `application/json` does. No credentials are involved, so `*` is
 * enough and @fastify/cors would add nothing.
 */
function registerCors(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(ANSWER_HEADERS);
    done();
  });
  app.options(
    '/*',
    { config: { scope: 'public' }, schema: { hide: true } },
    async (_request, reply) => reply.status(204).headers(PREFLIGHT_HEADERS).send(),
  );
}

/**
 * The Contentful Personalization (Ninetailed) Experience API v2, mounted at `/v2`, for the
 * Ninetailed SDKs as they are. Its callers present no credential, so every route is public
 * ("open" access, as the vendor's service: whoever holds a profile id may read and change that
 * profile). The route table hook still makes every route declare its scope, so nothing here is
 * open by omission; being public, these routes are not in the authenticated route table, and
 * each client address gets its own rate-limit bucket instead of a credential's. Bodies are JSON
 * sent as `application/json` or `text/plain` (the SDKs' choice, to avoid a CORS preflight).
 */
export const ninetailedSurface: FastifyPluginAsyncTypebox<NinetailedSurfaceOptions> = async (
  app,
  opts,
) => {
  registerRouteTable(app, 'ninetailed');
  registerCors(app);
  app.addHook('onRequest', async (request, reply) => {
    // An IPv6 client counts by its /64 (clientAddressKey), as for failed authentications.
    await opts.limits.take(`ninetailed:${clientAddressKey(request.ip)}`, opts.rateLimit, reply);
  });
  app.removeAllContentTypeParsers();
  registerJsonParser(app, ['application/json', 'text/plain'], opts.maxJsonDepth);
  registerNinetailedErrors(app);
  registerTenancy(app, opts.services.tenants, opts.keys);
  await app.register(profileRoutes(opts.services));
  await app.register(batchRoutes(opts.services));
};
