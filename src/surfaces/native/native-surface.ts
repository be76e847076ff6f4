import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Authenticators, registerAuth } from '../../platform/auth.js';
import { registerCompressedBodies } from '../../platform/compressed-body.js';
import { registerJsonParser } from '../../platform/json-body.js';
import { bulkRoutes } from './bulk-routes.js';
import { consentRoutes } from './consent-routes.js';
import { credentialRoutes } from './credential-routes.js';
import { environmentRoutes } from './environment-routes.js';
import { eventRoutes } from './event-routes.js';
import type { NativeServices } from './native-context.js';
import { registerNativeErrors } from './native-errors.js';
import { ProblemSchema, ProfileSchema } from './native-schemas.js';
import { personalizationRoutes } from './personalization-routes.js';
import { privacyRoutes } from './privacy-routes.js';
import { profileRoutes } from './profile-routes.js';
import { surfaceKeyRoutes } from './surface-key-routes.js';
import { webhookRoutes } from './webhook-routes.js';

export interface NativeSurfaceOptions {
  services: NativeServices;
  auth: Authenticators;
  maxJsonDepth: number;
  bodyLimitBytes: number;
}

/** Tessera's own API, mounted at `/v1`: JSON in, JSON or problem+json out; API keys or OAuth tokens. */
export const nativeSurface: FastifyPluginAsyncTypebox<NativeSurfaceOptions> = async (app, opts) => {
  app.removeAllContentTypeParsers();
  registerJsonParser(app, 'application/json', opts.maxJsonDepth);
  registerCompressedBodies(app, opts.bodyLimitBytes);
  registerNativeErrors(app);
  registerAuth(app, opts.auth, { surface: 'native', accept: ['api_key', 'oauth_token'] });
  app.addSchema(ProfileSchema);
  app.addSchema(ProblemSchema);
  await app.register(eventRoutes(opts.services));
  await app.register(profileRoutes(opts.services));
  await app.register(credentialRoutes(opts.services));
  await app.register(surfaceKeyRoutes(opts.services));
  await app.register(environmentRoutes(opts.services));
  await app.register(personalizationRoutes(opts.services));
  await app.register(consentRoutes(opts.services));
  await app.register(bulkRoutes(opts.services));
  await app.register(privacyRoutes(opts.services));
  await app.register(webhookRoutes(opts.services));
};
