import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { SURFACE_NAMES, type SurfaceName } from '../../modules/tenants/tenant-service.js';
import { environmentOf } from '../../platform/auth.js';
import type { NativeServices } from './native-context.js';

const KeyParams = Type.Object({
  surface: Type.String({ enum: [...SURFACE_NAMES] }),
  key: Type.String({ minLength: 1, maxLength: 300 }),
});

/**
 * Binding a dialect's path keys to the caller's environment (admin scope): the MyPreferences
 * ClientId (`mypreferences`), the profiles read API's `clientId/accountId/brandId`
 * (`profiles-read`), the Algonomy apiKey (`profile-command`).
 */
export function surfaceKeyRoutes(services: NativeServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/surface-keys',
      {
        config: { scope: 'admin' },
        schema: { summary: 'The dialect path keys bound to this environment', tags: ['tenancy'] },
      },
      async (request) => ({ data: await services.tenants.listSurfaceKeys(environmentOf(request)) }),
    );

    app.put(
      '/surface-keys/:surface/:key',
      {
        config: { scope: 'admin' },
        schema: {
          summary:
            'Bind a dialect path key to this environment (409 if another environment has it)',
          tags: ['tenancy'],
          params: KeyParams,
        },
      },
      async (request, reply) => {
        const { surface, key } = request.params;
        await services.tenants.bindSurfaceKey(environmentOf(request), surface as SurfaceName, key);
        return reply.status(204).send(null);
      },
    );

    app.delete(
      '/surface-keys/:surface/:key',
      {
        config: { scope: 'admin' },
        schema: { summary: 'Unbind a dialect path key', tags: ['tenancy'], params: KeyParams },
      },
      async (request, reply) => {
        const { surface, key } = request.params;
        await services.tenants.unbindSurfaceKey(
          environmentOf(request),
          surface as SurfaceName,
          key,
        );
        return reply.status(204).send(null);
      },
    );
  };
}
