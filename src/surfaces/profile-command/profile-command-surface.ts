import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
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

/** The 000 document's error body: `{"error", "error_description"}` (OAuth style). */
function registerProfileCommandErrors(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error, request.log);
    for (const [name, value] of Object.entries(appError.headers)) reply.header(name, value);
    const code = appError.code === 'unauthorized' ? 'invalid_token' : appError.code;
    const description =
      code === 'invalid_token' ? 'The access token is invalid or has expired' : appError.message;
    return reply.status(appError.status).send({ error: code, error_description: description });
  });
}

const Params = Type.Object({
  apiKey: Type.String({ minLength: 1, maxLength: 200 }),
  userId: Type.String({ minLength: 1, maxLength: 200 }),
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

  app.put(
    '/profile-command/v1/:apiKey/optOut/:userId',
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
