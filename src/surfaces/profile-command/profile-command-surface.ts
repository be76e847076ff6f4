import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../errors/app-error.js';
import type { PrivacyService } from '../../modules/privacy/privacy-service.js';
import type { TenantService } from '../../modules/tenants/tenant-service.js';
import { type Authenticators, environmentOf, registerAuth } from '../../platform/auth.js';
import { toAppError } from '../../platform/error-mapping.js';
import { registerJsonParser } from '../../platform/json-body.js';
import type { RequestLimits } from '../../platform/request-limits.js';

/** The 000 document: "API will accept up to 100 user ID updates per second." */
const OPT_OUT_POLICY = Object.freeze({ ratePerSecond: 100, burst: 100 });

export interface ProfileCommandOptions {
  services: { privacy: PrivacyService; tenants: TenantService };
  auth: Authenticators & { limits: RequestLimits };
  maxJsonDepth: number;
}

/**
 * The description of an error: the document's wording for a bad token, and for a validation
 * failure each offending field with what is wrong with it (the body has no list of issues).
 */
function describe(error: AppError, code: string): string {
  if (code === 'invalid_token') return 'The access token is invalid or has expired';
  if (error.code === 'validation_failed' && error.issues?.length) {
    return error.issues.map((issue) => `${issue.field} ${issue.message}`).join('; ');
  }
  return error.message;
}

/** The 000 document's error body: `{"error", "error_description"}` (OAuth style). */
function sendError(error: AppError, reply: FastifyReply): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  const code = error.code === 'unauthorized' ? 'invalid_token' : error.code;
  return reply.status(error.status).send({ error: code, error_description: describe(error, code) });
}

function registerProfileCommandErrors(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => sendError(toAppError(error, request.log), reply));
}

const Params = Type.Object({
  apiKey: Type.String({ minLength: 1, maxLength: 200 }),
  // At least one character that is not a space: a blank id names nobody.
  userId: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
});

const Body = Type.Object({
  type: Type.Literal('optOut', { description: '"optOut" is the only type.' }),
  enableOptOut: Type.Boolean({
    description: 'true opts the user out; false is refused once opted out.',
  }),
});

/**
 * The Algonomy Profile Command API: opt a user out on behalf of the organization. The token
 * comes from `/profile-command/v1/oauth2/token` and must belong to the environment that the
 * path's apiKey is bound to; it needs the `privacy` scope.
 */
export const profileCommandSurface: FastifyPluginAsyncTypebox<ProfileCommandOptions> = async (
  app,
  opts,
) => {
  app.removeAllContentTypeParsers();
  registerJsonParser(app, 'application/json', opts.maxJsonDepth);
  registerProfileCommandErrors(app);
  registerAuth(app, opts.auth, { surface: 'profile-command', accept: ['oauth_token'] });

  // Its own prefix scope, so that unknown paths under it answer 404 in this format too (the
  // token endpoint under the same prefix belongs to the OAuth surface and keeps its format).
  const routes: FastifyPluginAsyncTypebox = async (scope) => {
    scope.setNotFoundHandler((request, reply) =>
      sendError(
        // The path is not echoed back: it may be long, and hold a user id.
        new AppError('not_found', `There is no ${request.method} endpoint at this path.`),
        reply,
      ),
    );
    scope.put(
      '/v1/:apiKey/optOut/:userId',
      {
        config: { scope: 'privacy' },
        schema: {
          summary: 'Algonomy: opt a user out for good (erases their data, refuses future data)',
          tags: ['privacy'],
          params: Params,
          body: Body,
        },
      },
      async (request, reply) => {
        const environmentId = environmentOf(request);
        const { apiKey, userId } = request.params;
        const bound = await opts.services.tenants.resolveSurfaceKey('profile-command', apiKey);
        // Another environment's site key is as unknown as a key that does not exist.
        if (bound !== environmentId) throw new AppError('not_found', 'Unknown apiKey.');
        await opts.auth.limits.take(`opt-out:${environmentId}`, OPT_OUT_POLICY, reply);
        if (!request.body.enableOptOut) {
          await opts.services.privacy.refuseOptIn(environmentId, userId);
          return { userId, type: 'optOut', enableOptOut: false };
        }
        await opts.services.privacy.optOut(environmentId, userId, 'profile-command');
        return { userId, type: 'optOut', enableOptOut: true };
      },
    );
  };
  await app.register(routes, { prefix: '/profile-command' });
};
