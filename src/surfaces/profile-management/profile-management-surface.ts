import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Authenticators, registerAuth } from '../../platform/auth.js';
import { registerCompressedBodies } from '../../platform/compressed-body.js';
import { registerJsonParser } from '../../platform/json-body.js';
import { plainJson } from '../native/native-schemas.js';
import { deviceRoutes, noteRoutes, pushCleanUpRoutes } from './annotation-routes.js';
import { clientBatchRoutes } from './client-batch-routes.js';
import { clientRoutes } from './client-routes.js';
import { ClientView } from './client-schemas.js';
import { crmRoutes, logoutRoutes } from './crm-routes.js';
import { eventRoutes } from './event-routes.js';
import { exportRoutes } from './export-routes.js';
import type { ProfileManagementServices } from './profile-management-context.js';
import {
  registerProfileManagementErrors,
  registerProfileManagementNotFound,
  SpringErrorSchema,
} from './profile-management-errors.js';
import { registerStrictValidation } from './profile-management-validation.js';
import { tagRoutes } from './tag-routes.js';
import { unavailableRoutes } from './unavailable-routes.js';

export const PROFILE_MANAGEMENT_SURFACE = 'profile-management';

export interface ProfileManagementSurfaceOptions {
  services: ProfileManagementServices;
  auth: Authenticators;
  maxJsonDepth: number;
  bodyLimitBytes: number;
}

type RouteGroup = FastifyPluginAsyncTypebox;

/**
 * The 001 document's profile management API (Synerise-style): `/v4/clients…`, `/v4/events…`,
 * `/v4/transactions…`, `/v4/tags…`, `/crm/v1…`, `/morph/exports/clients…`, `/notes-service…`,
 * `/push-devices…` and `/sauth/management…`, on the document's own paths. The same credentials
 * as the native API (API key or OAuth token), which name the environment; errors in Spring's
 * `{timestamp, status, error, message, path}` plus `requestId`.
 *
 * Each path prefix is its own child scope so that it can answer its unknown routes in this
 * dialect's format (Fastify allows one not-found handler per prefix; `/` is the root's).
 */
export const profileManagementSurface: FastifyPluginAsyncTypebox<
  ProfileManagementSurfaceOptions
> = async (app, opts) => {
  app.removeAllContentTypeParsers();
  registerJsonParser(app, 'application/json', opts.maxJsonDepth);
  registerCompressedBodies(app, opts.bodyLimitBytes);
  registerProfileManagementErrors(app);
  registerAuth(app, opts.auth, {
    surface: PROFILE_MANAGEMENT_SURFACE,
    accept: ['api_key', 'oauth_token'],
  });
  // Presenters decide the shape of every answer; the response schemas document it.
  app.setSerializerCompiler(plainJson);
  registerStrictValidation(app);
  app.addSchema(SpringErrorSchema);
  app.addSchema(ClientView);

  const { services } = opts;
  const groups: Array<[string, RouteGroup[]]> = [
    [
      '/v4',
      [
        clientRoutes(services),
        clientBatchRoutes(services),
        eventRoutes(services),
        tagRoutes(services),
        deviceRoutes(services),
        unavailableRoutes(),
      ],
    ],
    ['/crm/v1', [crmRoutes(services)]],
    ['/morph/exports/clients', [exportRoutes(services)]],
    ['/sauth/management', [logoutRoutes(services)]],
    ['/notes-service', [noteRoutes(services)]],
    ['/push-devices', [pushCleanUpRoutes(services)]],
  ];
  for (const [prefix, routes] of groups) {
    await app.register(
      async (scope) => {
        registerProfileManagementNotFound(scope);
        for (const group of routes) await scope.register(group);
      },
      { prefix },
    );
  }
};
