import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../errors/app-error.js';
import type { Principal } from '../../modules/credentials/credential-types.js';
import type { HmacAuthenticator } from '../../modules/credentials/hmac-authenticator.js';
import { pnAuthChallenge } from '../../modules/credentials/pnauthinfo3.js';
import { hasScope } from '../../modules/credentials/scopes.js';
import type { TenantService } from '../../modules/tenants/tenant-service.js';
import { type Authenticators, registerRouteTable } from '../../platform/auth.js';

export const MYPREFERENCES_REALM = 'tessera';

/** Thrown for an unknown ClientId: the document answers 404 with an empty body. */
export class UnknownClientError extends Error {}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function unauthorized(message: string): AppError {
  return new AppError('unauthorized', message, undefined, {
    'www-authenticate': pnAuthChallenge(MYPREFERENCES_REALM),
  });
}

/**
 * Authentication of the MyPreferences dialect: the ClientId in the path names the environment
 * (through its bound surface key), and the caller proves itself with a PNAUTHINFO3 signature
 * or an OAuth token of that same environment. A token whose scope names a `ClientId/UserId`
 * may only be used under that ClientId.
 */
export function registerMyPreferencesAuth(
  app: FastifyInstance,
  deps: { auth: Authenticators; hmac: HmacAuthenticator; tenants: TenantService },
): void {
  registerRouteTable(app, 'mypreferences');
  app.addHook('onRequest', async (request, reply) => {
    const needed = request.routeOptions.config.scope;
    if (needed === 'public' || request.is404) return;
    const clientId = (request.params as { clientId?: string }).clientId ?? '';
    const environmentId = await deps.tenants.resolveSurfaceKey('mypreferences', clientId);
    if (!environmentId) throw new UnknownClientError();
    await deps.auth.limits.assertAddressAllowed(request.ip);
    const principal = await authenticate(request, deps, environmentId, clientId);
    if (!needed || !hasScope(principal.scopes, needed)) {
      throw new AppError(
        'insufficient_scope',
        "The API key doesn't have permissions to perform the request.",
      );
    }
    await deps.auth.limits.takeForCredential(principal, reply);
    request.principal = principal;
  });
}

async function authenticate(
  request: FastifyRequest,
  deps: { auth: Authenticators; hmac: HmacAuthenticator },
  environmentId: string,
  clientId: string,
): Promise<Principal> {
  const authorization = request.headers.authorization;
  const bearer =
    typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  if (bearer) {
    const principal = await deps.auth.tokens.verify(bearer[1]!);
    // A token of another environment is as good as no token here.
    if (!principal || principal.environmentId !== environmentId) {
      await deps.auth.limits.recordFailure(request.ip);
      throw new AppError('invalid_token', 'The access token is invalid or has expired', undefined, {
        'www-authenticate': `Bearer realm="${MYPREFERENCES_REALM}", error="invalid_token"`,
      });
    }
    if (principal.subject && principal.subject.split('/')[0] !== clientId) {
      throw new AppError('insufficient_scope', 'The token was issued for another ClientId.');
    }
    return principal;
  }
  const outcome = await deps.hmac.authenticate({
    environmentId,
    clientId,
    authorization: typeof authorization === 'string' ? authorization : undefined,
    stateChanging: STATE_CHANGING.has(request.method),
  });
  if (!outcome.ok) {
    // A replay was signed with the key: not a guess at a credential, so it does not spend the
    // address's failed-authentication budget (clients that sign once per second would lock
    // their own address out of every surface).
    if (outcome.failure.code !== 'replayed') await deps.auth.limits.recordFailure(request.ip);
    throw unauthorized(outcome.failure.message);
  }
  return outcome.principal;
}
