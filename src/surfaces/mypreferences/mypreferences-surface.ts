import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
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

/** The MyPreferences error body: `{"Message": "…"}`; an unknown ClientId is a bare 404. */
function registerMyPreferencesErrors(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    reply.header('cache-control', 'no-cache').header('pragma', 'no-cache');
    if (error instanceof UnknownClientError) return reply.status(404).send();
    const appError = toAppError(error, request.log);
    for (const [name, value] of Object.entries(appError.headers)) reply.header(name, value);
    const body: { Message: string; Code: string; Errors?: unknown } = {
      Message: appError.message,
      Code: appError.code,
    };
    if (appError.issues) body.Errors = appError.issues;
    return reply.status(appError.status).send(body);
  });
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
  registerMyPreferencesErrors(app);
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
