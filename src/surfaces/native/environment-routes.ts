import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { TenantService } from '../../modules/tenants/tenant-service.js';
import { environmentOf } from '../../platform/auth.js';

/** The caller's environment and its settings (admin to change). */
export function environmentRoutes(services: { tenants: TenantService }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/environment',
      {
        config: { scope: 'read' },
        schema: { summary: "The credential's environment and its settings", tags: ['tenancy'] },
      },
      async (request) => services.tenants.describeEnvironment(environmentOf(request)),
    );
    app.patch(
      '/environment',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'Change environment settings',
          description:
            '`publicAccess`: `open` (default; the Experience API answers whoever holds a profile id) or `locked` ' +
            '(browsers must use a publishable key as the organization id, reach only the profiles that key created, ' +
            'and never merge into an identified profile).',
          tags: ['tenancy'],
          body: Type.Object(
            { publicAccess: Type.Optional(Type.String({ enum: ['open', 'locked'] })) },
            { additionalProperties: false },
          ),
        },
      },
      async (request) => {
        const { publicAccess } = request.body;
        return {
          settings: await services.tenants.updateSettings(environmentOf(request), {
            ...(publicAccess ? { publicAccess: publicAccess as 'open' | 'locked' } : {}),
          }),
        };
      },
    );
  };
}
