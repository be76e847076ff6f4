import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors/app-error.js';
import type { ErasureService, ErasureStatus } from '../../modules/privacy/erasure-service.js';
import { parseProfileRef } from '../../modules/profiles/profile-ref.js';
import { environmentOf } from '../../platform/auth.js';
import { iso, presentEvent, presentMerge, presentProfile } from './native-presenters.js';
import { RefParams } from './native-schemas.js';

function presentErasure(status: ErasureStatus) {
  return { ...status, createdAt: iso(status.createdAt), finishedAt: iso(status.finishedAt) };
}

/** Erasure and access requests (privacy scope). */
export function privacyRoutes(services: { erasure: ErasureService }): FastifyPluginAsyncTypebox {
  return async (app) => {
    const tags = ['privacy'];
    app.post(
      '/privacy/erasures',
      {
        config: { scope: 'privacy' },
        schema: {
          summary:
            'Erase a person: their profile, everything merged into it, and all that is kept about them',
          description:
            'A durable job. Its status lists each store with the rows left for that person, all zero once done. ' +
            'Erasure is not opt-out: new data may arrive again (use the Profile Command API to refuse it for good).',
          tags,
          body: Type.Object({ ref: RefParams.properties.ref }),
        },
      },
      async (request, reply) => {
        const status = await services.erasure.requestErasure(
          environmentOf(request),
          parseProfileRef(request.body.ref),
        );
        return reply.status(202).send(presentErasure(status));
      },
    );

    app.get(
      '/privacy/erasures/:id',
      {
        config: { scope: 'privacy' },
        schema: {
          summary: 'The status of an erasure, with the rows left per store',
          tags,
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        },
      },
      async (request) => {
        const status = await services.erasure.status(environmentOf(request), request.params.id);
        if (!status) throw new AppError('not_found', 'No such erasure.');
        return presentErasure(status);
      },
    );

    app.get(
      '/privacy/profiles/:ref/export',
      {
        config: { scope: 'privacy' },
        schema: {
          summary: 'Everything kept about one person, as JSON (access request)',
          description:
            'Traits, identifiers, sticky variants, events, merges (with prior states) and audience log.',
          tags,
          params: RefParams,
        },
      },
      async (request) => {
        const data = await services.erasure.exportPerson(
          environmentOf(request),
          parseProfileRef(request.params.ref),
        );
        return {
          exportedAt: new Date().toISOString(),
          profile: presentProfile(data.profile),
          events: data.events.map(presentEvent),
          merges: data.merges.map(presentMerge),
          ...data.other,
        };
      },
    );
  };
}
