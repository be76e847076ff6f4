import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.js';
import type { Principal } from '../modules/credentials/api-key-service.js';
import { hasScope, type Scope } from '../modules/credentials/scopes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; set by the auth hook on every non-public route. */
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** Every authenticated route with the scope it needs (tests are generated from it). */
    routeTable: RouteTableEntry[];
  }
  interface FastifyContextConfig {
    /** The scope a route needs, or `public` for the few routes open to anyone. */
    scope?: Scope | 'public';
  }
}

export interface RouteTableEntry {
  method: string;
  url: string;
  scope: Scope;
}

export interface CredentialVerifier {
  verifyApiKey(presented: string): Promise<Principal | null>;
}

/** The API key a request presents: `Authorization: Bearer`, `x-api-key` or `auth-token`. */
export function presentedApiKey(request: FastifyRequest): string | null {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1]!;
  }
  for (const header of ['x-api-key', 'auth-token']) {
    const value = request.headers[header];
    if (typeof value === 'string' && value.length > 0) return value.trim();
  }
  return null;
}

/**
 * Authentication and authorization for every route in `app`'s scope. Each route must declare
 * the scope it needs (`config.scope`); a route that declares none fails at start-up, so nothing
 * is ever open by omission. The principal's environment is the only tenant a handler may use.
 */
export function registerAuth(app: FastifyInstance, verifier: CredentialVerifier): void {
  if (!app.hasRequestDecorator('principal')) app.decorateRequest('principal', null);
  if (!app.hasDecorator('routeTable')) app.decorate('routeTable', []);
  app.addHook('onRoute', (route) => {
    const scope = (route.config as { scope?: Scope | 'public' } | undefined)?.scope;
    if (!scope) throw new Error(`Route ${String(route.method)} ${route.url} declares no scope`);
    for (const method of [route.method].flat()) {
      if (scope !== 'public' && method !== 'HEAD')
        app.routeTable.push({ method, url: route.url, scope });
    }
  });
  app.addHook('onRequest', async (request) => {
    const needed = request.routeOptions.config.scope;
    // Unknown routes fall through to the not-found handler: 404, whoever asks.
    if (needed === 'public' || request.is404) return;
    const presented = presentedApiKey(request);
    const principal = presented ? await verifier.verifyApiKey(presented) : null;
    if (!principal) throw new AppError('unauthorized');
    if (!needed || !hasScope(principal.scopes, needed)) throw new AppError('insufficient_scope');
    request.principal = principal;
  });
}

/** The authenticated environment of a request (routes behind registerAuth always have one). */
export function environmentOf(request: FastifyRequest): string {
  if (!request.principal) throw new AppError('unauthorized');
  return request.principal.environmentId;
}
