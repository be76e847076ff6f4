import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors/app-error.js';
import { SCOPES } from '../../modules/credentials/scopes.js';
import { environmentOf } from '../../platform/auth.js';
import type { NativeServices } from './native-context.js';

const ScopeList = Type.Array(Type.String({ enum: [...SCOPES] }), {
  minItems: 1,
  uniqueItems: true,
});

/** Managing the API keys of the caller's own environment (admin scope). */
export function apiKeyRoutes(services: NativeServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/api-keys',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'Create an API key; the key is shown in this answer only',
          tags: ['credentials'],
          body: Type.Object({
            name: Type.String({ minLength: 1, maxLength: 100 }),
            scopes: ScopeList,
          }),
          response: {
            201: Type.Object({
              id: Type.String(),
              key: Type.String(),
              name: Type.String(),
              scopes: Type.Array(Type.String()),
              createdAt: Type.String({ format: 'date-time' }),
            }),
          },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const created = await services.apiKeys.createApiKey(
          environmentOf(request),
          body.name,
          body.scopes as (typeof SCOPES)[number][],
        );
        return reply
          .status(201)
          .send({ ...created, createdAt: new Date(created.createdAt).toISOString() });
      },
    );

    app.get(
      '/api-keys',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'List the API keys of this environment (never their secrets)',
          tags: ['credentials'],
        },
      },
      async (request) => {
        const keys = await services.apiKeys.listApiKeys(environmentOf(request));
        return {
          data: keys.map((k) => ({
            ...k,
            createdAt: new Date(k.createdAt).toISOString(),
            revokedAt: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString(),
          })),
        };
      },
    );

    app.delete(
      '/api-keys/:id',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'Revoke an API key; effective for the next request',
          tags: ['credentials'],
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        },
      },
      async (request, reply) => {
        const revoked = await services.apiKeys.revokeApiKey(
          environmentOf(request),
          request.params.id,
        );
        if (!revoked)
          throw new AppError('not_found', 'No such active API key in this environment.');
        return reply.status(204).send(null);
      },
    );
  };
}
