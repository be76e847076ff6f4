import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type CredentialVerifier, registerAuth } from '../../platform/auth.js';
import { registerJsonParser } from '../../platform/json-body.js';
import { apiKeyRoutes } from './api-key-routes.js';
import { eventRoutes } from './event-routes.js';
import type { NativeServices } from './native-context.js';
import { registerNativeErrors } from './native-errors.js';
import { ProblemSchema, ProfileSchema } from './native-schemas.js';
import { profileRoutes } from './profile-routes.js';

export interface NativeSurfaceOptions {
  services: NativeServices;
  verifier: CredentialVerifier;
  maxJsonDepth: number;
}

/** Tessera's own API, mounted at `/v1`: JSON in, JSON or problem+json out, API-key auth. */
export const nativeSurface: FastifyPluginAsyncTypebox<NativeSurfaceOptions> = async (app, opts) => {
  app.removeAllContentTypeParsers();
  registerJsonParser(app, 'application/json', opts.maxJsonDepth);
  registerNativeErrors(app);
  registerAuth(app, opts.verifier);
  app.addSchema(ProfileSchema);
  app.addSchema(ProblemSchema);
  await app.register(eventRoutes(opts.services));
  await app.register(profileRoutes(opts.services));
  await app.register(apiKeyRoutes(opts.services));
};
