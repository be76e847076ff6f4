import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { applyEvent, newProfileState } from '../../engine/index.js';
import { AppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import { prepareEvents } from '../../modules/events/event-intake.js';
import type {
  DefinitionService,
  StoredExperience,
} from '../../modules/personalization/definition-service.js';
import type { PersonalizationService } from '../../modules/personalization/personalization-service.js';
import type { ProfileQueryService } from '../../modules/profiles/profile-query-service.js';
import { parseProfileRef } from '../../modules/profiles/profile-ref.js';
import { environmentOf } from '../../platform/auth.js';
import { iso } from './native-presenters.js';
import { RefParams } from './native-schemas.js';

export interface PersonalizationRouteServices {
  definitions: DefinitionService;
  personalization: PersonalizationService;
  queries: ProfileQueryService;
}

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
const AudienceBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  rule: Type.Unknown({
    description: 'The audience rule (see docs/personalization.md); validated by the engine.',
  }),
});

function presentExperience(e: StoredExperience) {
  return { ...e.definition, createdAt: iso(e.createdAt), updatedAt: iso(e.updatedAt) };
}

/**
 * Audiences and experiences (admin scope to change, read to look), the explain endpoint and a
 * profile's audience membership log.
 */
export function personalizationRoutes(
  services: PersonalizationRouteServices,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    const { definitions } = services;
    const presentAudience = (a: Awaited<ReturnType<DefinitionService['getAudience']>>) => ({
      ...a,
      createdAt: iso(a.createdAt),
      updatedAt: iso(a.updatedAt),
    });
    const tags = ['personalization'];

    app.post(
      '/audiences/validate',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'Check an audience rule without saving it',
          tags,
          body: Type.Object({ rule: Type.Unknown() }),
        },
      },
      async (request) => definitions.validateRule(request.body.rule),
    );
    app.get(
      '/audiences',
      { config: { scope: 'read' }, schema: { summary: 'List audiences', tags } },
      async (request) => ({
        data: (await definitions.listAudiences(environmentOf(request))).map(presentAudience),
      }),
    );
    app.get(
      '/audiences/:id',
      { config: { scope: 'read' }, schema: { summary: 'Get an audience', tags, params: IdParams } },
      async (request) =>
        presentAudience(await definitions.getAudience(environmentOf(request), request.params.id)),
    );
    app.post(
      '/audiences',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'Create an audience (as a draft)',
          tags,
          body: Type.Intersect([AudienceBody, Type.Object({ id: Type.Optional(Type.String()) })]),
        },
      },
      async (request, reply) => {
        const { id, ...input } = request.body as {
          id?: string;
          name: string;
          description?: string;
          rule: unknown;
        };
        const created = await definitions.saveAudience(environmentOf(request), input, id, true);
        return reply.status(201).send(presentAudience(created));
      },
    );
    app.put(
      '/audiences/:id',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'Create or replace an audience (keeps its status)',
          tags,
          params: IdParams,
          body: AudienceBody,
        },
      },
      async (request) =>
        presentAudience(
          await definitions.saveAudience(environmentOf(request), request.body, request.params.id),
        ),
    );
    app.post(
      '/audiences/:id/publish',
      {
        config: { scope: 'admin' },
        schema: { summary: 'Publish an audience (evaluated from now on)', tags, params: IdParams },
      },
      async (request) =>
        presentAudience(
          await definitions.publishAudience(environmentOf(request), request.params.id),
        ),
    );
    app.delete(
      '/audiences/:id',
      {
        config: { scope: 'admin' },
        schema: { summary: 'Delete an audience no experience uses', tags, params: IdParams },
      },
      async (request, reply) => {
        await definitions.deleteAudience(environmentOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/experiences',
      { config: { scope: 'read' }, schema: { summary: 'List experiences', tags } },
      async (request) => ({
        data: (await definitions.listExperiences(environmentOf(request))).map(presentExperience),
      }),
    );
    app.get(
      '/experiences/:id',
      {
        config: { scope: 'read' },
        schema: { summary: 'Get an experience', tags, params: IdParams },
      },
      async (request) =>
        presentExperience(
          await definitions.getExperience(environmentOf(request), request.params.id),
        ),
    );
    app.post(
      '/experiences',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'Create or replace an experience (a new one is a draft)',
          tags,
          body: Type.Object({}, { additionalProperties: true }),
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(
            presentExperience(
              await definitions.saveExperience(
                environmentOf(request),
                request.body as Record<string, unknown>,
              ),
            ),
          ),
    );
    app.put(
      '/experiences/:id',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'Replace an experience (keeps its status)',
          tags,
          params: IdParams,
          body: Type.Object({}, { additionalProperties: true }),
        },
      },
      async (request) =>
        presentExperience(
          await definitions.saveExperience(environmentOf(request), {
            ...(request.body as object),
            id: request.params.id,
          }),
        ),
    );
    app.post(
      '/experiences/:id/publish',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'Publish an experience (its audience must be published)',
          tags,
          params: IdParams,
        },
      },
      async (request) =>
        presentExperience(
          await definitions.publishExperience(environmentOf(request), request.params.id),
        ),
    );
    app.delete(
      '/experiences/:id',
      {
        config: { scope: 'admin' },
        schema: { summary: 'Delete an experience', tags, params: IdParams },
      },
      async (request, reply) => {
        await definitions.deleteExperience(environmentOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/explain',
      {
        config: { scope: 'read' },
        schema: {
          summary:
            'Explain audiences and experiences for a stored profile (`ref`) or a made-up one (`events`)',
          description:
            'Every audience rule result with its trace, and each experience step: traffic and distribution hash ' +
            'values, allocation, holdout, sticky hit, chosen variant, or why it was skipped. A made-up profile is ' +
            'built from `events` in memory and never stored (its audience counters start empty).',
          tags,
          body: Type.Object({
            ref: Type.Optional(Type.String({ maxLength: 260 })),
            events: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 200 })),
          }),
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const { ref, events } = request.body;
        if ((ref === undefined) === (events === undefined)) {
          throw new AppError('validation_failed', 'Give either `ref` or `events`.');
        }
        let profile =
          ref !== undefined
            ? await services.queries.getProfile(environmentId, parseProfileRef(ref))
            : null;
        if (!profile) {
          const now = Date.now();
          profile = newProfileState(newId(), environmentId, now, 'explain');
          for (const event of prepareEvents(events ?? [], {
            receivedAt: now,
            requireProfileKey: false,
          })) {
            profile = applyEvent(profile, event, { source: 'explain', newId });
          }
        }
        const explanation = await services.personalization.explain(environmentId, profile);
        return { profileId: ref !== undefined ? profile.id : null, ...explanation };
      },
    );

    app.get(
      '/profiles/:ref/audiences',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'A profile’s audiences now, and the log of its entries and exits',
          tags,
          params: RefParams,
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const profile = await services.queries.getProfile(
          environmentId,
          parseProfileRef(request.params.ref),
        );
        const now = await services.personalization.personalize(environmentId, profile);
        const log = await services.personalization.membershipLog(environmentId, [
          profile.id,
          ...profile.mergedIds,
        ]);
        return { audiences: now.audiences, log: log.map((e) => ({ ...e, at: iso(e.at) })) };
      },
    );
  };
}
