import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.js';
import type { Principal } from '../modules/credentials/credential-types.js';
import type { CredentialVerifier } from '../modules/credentials/credential-verifier.js';
import { hasScope, type Scope } from '../modules/credentials/scopes.js';
import type { TokenService } from '../modules/credentials/token-service.js';

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
  /** Which surface the route belongs to, for per-surface expectations in tests. */
  surface: string;
}

/** Throttling applied around authentication (see platform/request-limits.ts). */
export interface AuthLimits {
  /** Refuses addresses with too many recent failed authentications. */
  assertAddressAllowed(address: string): Promise<void>;
  recordFailure(address: string): Promise<void>;
  /** Takes from the credential's bucket; throws rate_limited, sets RateLimit-* headers. */
  takeForCredential(principal: Principal, reply: FastifyReply): Promise<void>;
}

export interface Authenticators {
  verifier: CredentialVerifier;
  tokens: TokenService;
  limits: AuthLimits;
}

export type AcceptedCredential = 'api_key' | 'oauth_token' | 'write_key';

export interface AuthOptions {
  surface: string;
  accept: AcceptedCredential[];
  /** `realm` of the WWW-Authenticate challenge. */
  realm?: string;
  /**
   * Where a surface's clients may put a write key in the body instead of a header (Segment's
   * `writeKey`). Such requests are authenticated once the body is parsed.
   */
  writeKeyFromBody?: (body: unknown) => string | undefined;
}

type Presented =
  | { kind: 'api_key'; value: string }
  | { kind: 'oauth_token'; value: string }
  | { kind: 'write_key'; value: string };

/**
 * What a request presents. `Authorization: Bearer` carries an API key (`tsk_…`) or an OAuth
 * token; `x-api-key` and `auth-token` carry API keys; HTTP Basic carries a write key as the user.
 */
export function presentedCredential(request: FastifyRequest): Presented | null {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (bearer) {
      const value = bearer[1]!;
      return value.startsWith('tsk_') ? { kind: 'api_key', value } : { kind: 'oauth_token', value };
    }
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const user = decoded.split(':')[0] ?? '';
      return user ? { kind: 'write_key', value: user } : null;
    }
  }
  for (const header of ['x-api-key', 'auth-token']) {
    const value = request.headers[header];
    if (typeof value === 'string' && value.length > 0)
      return { kind: 'api_key', value: value.trim() };
  }
  return null;
}

async function verify(auth: Authenticators, presented: Presented): Promise<Principal | null> {
  switch (presented.kind) {
    case 'api_key':
      return auth.verifier.verifyKey(presented.value, 'api_key');
    case 'write_key':
      return auth.verifier.verifyKey(presented.value, 'write_key');
    case 'oauth_token':
      return auth.tokens.verify(presented.value);
  }
}

/**
 * Records every route of `app`'s scope, with the scope it declares, in `app.routeTable`; a route
 * that declares no scope fails at start-up, so nothing is ever open by omission.
 */
export function registerRouteTable(app: FastifyInstance, surface: string): void {
  app.addHook('onRoute', (route) => {
    const scope = (route.config as { scope?: Scope | 'public' } | undefined)?.scope;
    if (!scope) throw new Error(`Route ${String(route.method)} ${route.url} declares no scope`);
    for (const method of [route.method].flat()) {
      if (scope !== 'public' && method !== 'HEAD')
        app.routeTable.push({ method, url: route.url, scope, surface });
    }
  });
}

/**
 * Authentication and authorization for every route in `app`'s scope. Each route must declare
 * the scope it needs (`config.scope`); a route that declares none fails at start-up, so nothing
 * is ever open by omission. The credential is checked before the body is read, and the
 * principal's environment is the only tenant a handler may use.
 */
export function registerAuth(
  app: FastifyInstance,
  auth: Authenticators,
  options: AuthOptions,
): void {
  const realm = options.realm ?? 'tessera';
  registerRouteTable(app, options.surface);
  const authenticate = async (
    request: FastifyRequest,
    reply: FastifyReply,
    presented: Presented | null,
  ) => {
    const needed = request.routeOptions.config.scope;
    if (!presented || !options.accept.includes(presented.kind)) {
      if (presented) await auth.limits.recordFailure(request.ip);
      throw new AppError('unauthorized', undefined, undefined, {
        'www-authenticate': `Bearer realm="${realm}"`,
      });
    }
    const principal = await verify(auth, presented);
    if (!principal) {
      await auth.limits.recordFailure(request.ip);
      if (presented.kind === 'oauth_token') {
        throw new AppError('invalid_token', undefined, undefined, {
          'www-authenticate': `Bearer realm="${realm}", error="invalid_token"`,
        });
      }
      throw new AppError('unauthorized', undefined, undefined, {
        'www-authenticate': `Bearer realm="${realm}"`,
      });
    }
    if (!needed || needed === 'public' || !hasScope(principal.scopes, needed)) {
      const challenge: Record<string, string> =
        presented.kind === 'oauth_token'
          ? {
              'www-authenticate': `Bearer realm="${realm}", error="insufficient_scope", scope="${needed}"`,
            }
          : {};
      throw new AppError('insufficient_scope', undefined, undefined, challenge);
    }
    await auth.limits.takeForCredential(principal, reply);
    request.principal = principal;
  };

  app.addHook('onRequest', async (request, reply) => {
    const needed = request.routeOptions.config.scope;
    // Unknown routes fall through to the not-found handler: 404, whoever asks.
    if (needed === 'public' || request.is404) return;
    await auth.limits.assertAddressAllowed(request.ip);
    const presented = presentedCredential(request);
    // No header credential, but the surface allows one in the body: decide after parsing.
    if (!presented && options.writeKeyFromBody && request.method !== 'GET') return;
    await authenticate(request, reply, presented);
  });

  if (options.writeKeyFromBody) {
    const fromBody = options.writeKeyFromBody;
    app.addHook('preValidation', async (request, reply) => {
      if (request.principal || request.routeOptions.config.scope === 'public' || request.is404)
        return;
      const key = fromBody(request.body);
      await authenticate(request, reply, key ? { kind: 'write_key', value: key } : null);
    });
  }
}

/** The authenticated environment of a request (routes behind registerAuth always have one). */
export function environmentOf(request: FastifyRequest): string {
  if (!request.principal) throw new AppError('unauthorized');
  return request.principal.environmentId;
}
