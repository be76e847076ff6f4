import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError } from '../../errors/app-error.js';
import type { ConsentService } from '../../modules/consents/consent-service.js';
import type { HmacAuthenticator } from '../../modules/credentials/hmac-authenticator.js';
import type { TenantService } from '../../modules/tenants/tenant-service.js';
import type { Authenticators } from '../../platform/auth.js';
import { toAppError } from '../../platform/error-mapping.js';
import { registerJsonParser } from '../../platform/json-body.js';
import { registerMyPreferencesAuth, UnknownClientError } from './mypreferences-auth.js';
import { consentRoutes } from './mypreferences-consent-routes.js';
import { eventRoutes, type MyPreferencesEventServices } from './mypreferences-event-routes.js';
import { historyRoutes } from './mypreferences-history-routes.js';
import { preferenceRoutes } from './mypreferences-preference-routes.js';
import { type MyPreferencesServices, profileRoutes } from './mypreferences-profile-routes.js';
import { profileSearchRoutes } from './mypreferences-profile-search-routes.js';

export interface MyPreferencesSurfaceOptions {
  services: MyPreferencesServices &
    MyPreferencesEventServices & { tenants: TenantService; consents: ConsentService };
  auth: Authenticators;
  hmac: HmacAuthenticator;
  maxJsonDepth: number;
}

/** Answers an AppError as the dialect does: `{"Message", "Code", "Errors"?}`, never cached. */
function sendMyPreferencesError(appError: AppError, reply: FastifyReply): FastifyReply {
  reply.header('cache-control', 'no-cache').header('pragma', 'no-cache');
  for (const [name, value] of Object.entries(appError.headers)) reply.header(name, value);
  const body: { Message: string; Code: string; Errors?: unknown } = {
    Message: appError.message,
    Code: appError.code,
  };
  if (appError.issues) body.Errors = appError.issues;
  return reply.status(appError.status).send(body);
}

/** The MyPreferences error body: `{"Message": "…"}`; an unknown ClientId is a bare 404. */
async function registerMyPreferencesErrors(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof UnknownClientError)
      return reply
        .header('cache-control', 'no-cache')
        .header('pragma', 'no-cache')
        .status(404)
        .send();
    return sendMyPreferencesError(toAppError(error, request.log), reply);
  });
  // Unknown paths under the dialect's prefix answer in its format too; the routes keep their
  // full paths, and a route always wins over this scope's catch-all.
  await app.register(
    async (scope) => {
      scope.setNotFoundHandler((request, reply) =>
        sendMyPreferencesError(
          new AppError('not_found', `There is no ${request.method} endpoint at this path.`),
          reply,
        ),
      );
    },
    { prefix: '/Profiles/v4' },
  );
}

/**
 * The PossibleNOW MyPreferences v4 dialect, mounted at `/Profiles/v4/{ClientId}`: profiles, and
 * their consents, preferences and history (through ConsentService).
 */
export const myPreferencesSurface: FastifyPluginAsyncTypebox<MyPreferencesSurfaceOptions> = async (
  app,
  opts,
) => {
  app.removeAllContentTypeParsers();
  registerJsonParser(app, 'application/json', opts.maxJsonDepth);
  await registerMyPreferencesErrors(app);
  registerMyPreferencesAuth(app, {
    auth: opts.auth,
    hmac: opts.hmac,
    tenants: opts.services.tenants,
  });
  await app.register(profileRoutes(opts.services));
  await app.register(consentRoutes(opts.services));
  await app.register(preferenceRoutes(opts.services));
  await app.register(historyRoutes(opts.services));
  await app.register(profileSearchRoutes(opts.services));
  await app.register(eventRoutes(opts.services));
};
