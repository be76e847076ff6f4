import type { FastifyInstance, FastifyReply } from 'fastify';
import { OAuthError, type TokenService } from '../../modules/credentials/token-service.js';
import type { AuthLimits } from '../../platform/auth.js';
import { toAppError } from '../../platform/error-mapping.js';
import { readTokenRequest } from './token-request.js';

/** The token endpoint's paths: native, PossibleNOW (004) and Algonomy (000). */
export const TOKEN_PATHS = [
  '/v1/oauth2/token',
  '/oauth2/v1/token',
  '/profile-command/v1/oauth2/token',
];

export interface OAuthSurfaceOptions {
  tokens: TokenService;
  limits: AuthLimits & {
    takeForTokenEndpoint(address: string, reply: FastifyReply): Promise<void>;
  };
  realm?: string;
}

function sendOAuthError(reply: FastifyReply, status: number, error: string, description: string) {
  return reply
    .status(status)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .send({ error, error_description: description });
}

/**
 * OAuth2 client-credentials token endpoints (RFC 6749 §4.4). Every answer is `no-store`; errors
 * are RFC 6749 §5.2 JSON. Refresh tokens are never issued.
 */
export async function oauthSurface(app: FastifyInstance, opts: OAuthSurfaceOptions): Promise<void> {
  const realm = opts.realm ?? 'tessera';
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_req, body, done) => {
      const params: Record<string, string | string[]> = Object.create(null);
      for (const [key, value] of new URLSearchParams(body as string)) {
        const previous = params[key];
        params[key] = previous === undefined ? value : [previous, value].flat();
      }
      done(null, params);
    },
  );

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof OAuthError) {
      if (error.error === 'invalid_client') {
        void opts.limits.recordFailure(request.ip);
        if (request.headers.authorization) {
          reply.header('www-authenticate', `Basic realm="${realm}"`);
        }
        return sendOAuthError(reply, 401, error.error, error.description);
      }
      return sendOAuthError(reply, 400, error.error, error.description);
    }
    const appError = toAppError(error, request.log);
    for (const [name, value] of Object.entries(appError.headers)) reply.header(name, value);
    const code =
      appError.status === 429
        ? 'rate_limited'
        : appError.status >= 500
          ? 'server_error'
          : 'invalid_request';
    return sendOAuthError(reply, appError.status, code, appError.message);
  });

  for (const url of TOKEN_PATHS) {
    app.post(
      url,
      {
        config: { scope: 'public' },
        schema: {
          summary:
            'OAuth2 client credentials: exchange client_id and client_secret for a bearer token',
          description:
            'Credentials in the query string, the form body or HTTP Basic (one of them). `scope` may list ' +
            'Tessera scopes and/or one `ClientId/UserId` item. Tokens expire after the client TTL (default 8 h).',
          tags: ['oauth2'],
          security: [],
        },
      },
      async (request, reply) => {
        await opts.limits.assertAddressAllowed(request.ip);
        await opts.limits.takeForTokenEndpoint(request.ip, reply);
        const token = readTokenRequest(request);
        if (token.grantType === undefined)
          throw new OAuthError('invalid_request', 'grant_type is required.');
        if (token.grantType !== 'client_credentials') {
          throw new OAuthError('unsupported_grant_type', 'Invalid grant_type');
        }
        const issued = await opts.tokens.issue(token.clientId, token.clientSecret, token.scope);
        return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(issued);
      },
    );
  }
}
