import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import { environmentOf } from '../../platform/auth.js';
import { type ClientInput, refFor } from './client-mapping.js';
import { ClientBody, ClientIdParams, IdentifierParams } from './client-schemas.js';
import { readClient, viewClient, writeClient } from './client-writes.js';
import { type ProfileManagementServices, TAGS } from './profile-management-context.js';
import { errorResponses, SuppressedAnswer } from './profile-management-errors.js';

const Client = Type.Ref('PmClient');
const Input = ClientBody;
const Deleted = { 204: Type.Null(), ...errorResponses };

/** Create, read, update and delete one profile (`/v4/clients…`). */
export function clientRoutes(services: ProfileManagementServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/clients',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Create a profile',
          description:
            'Answers 201 with the profile; `clientId` is its id. A customId or uuid that another ' +
            'profile holds answers 409. Without a uuid, one is generated.',
          tags: TAGS,
          body: Input,
          response: {
            201: Client,
            202: SuppressedAnswer,
            409: Type.Ref('SpringError'),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const environmentId = environmentOf(request);
        const body = request.body as ClientInput;
        for (const [type, value] of [
          ['customId', body.customId],
          ['uuid', body.uuid],
        ] as const) {
          if (value === undefined) continue;
          const found = await services.queries.findProfiles(environmentId, refFor(type, value));
          if (found.length > 0)
            throw new AppError('conflict', `A profile with this ${type} exists.`);
        }
        const uuid = body.uuid ?? newId();
        const ref = body.customId ? refFor('customId', body.customId) : refFor('uuid', uuid);
        const { profile, view } = await writeClient(services, environmentId, ref, {
          ...body,
          uuid,
        });
        return reply.status(201).header('location', `/v4/clients/${profile.id}`).send(view);
      },
    );

    app.get(
      '/clients/:clientId',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'Get profile data',
          tags: TAGS,
          params: ClientIdParams,
          response: { 200: Client, ...errorResponses },
        },
      },
      async (request) =>
        readClient(services, environmentOf(request), { kind: 'id', id: request.params.clientId }),
    );

    app.post(
      '/clients/:clientId',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Update a profile (identify by ID)',
          description: 'Only the fields sent change. An unknown clientId answers 404.',
          tags: TAGS,
          params: ClientIdParams,
          body: Input,
          response: { 200: Client, 202: SuppressedAnswer, ...errorResponses },
        },
      },
      async (request) =>
        (
          await writeClient(
            services,
            environmentOf(request),
            { kind: 'id', id: request.params.clientId },
            request.body as ClientInput,
          )
        ).view,
    );

    for (const [path, type, param] of [
      ['/clients/by-email/:email', 'email', 'email'],
      // The document spells it by-customid here and by-custom-id for delete: both, both ways.
      ['/clients/by-customid/:customId', 'customId', 'customId'],
      ['/clients/by-custom-id/:customId', 'customId', 'customId'],
    ] as const) {
      app.post(
        path,
        {
          config: { scope: 'write' },
          schema: {
            summary: `Update a profile (identify by ${type}); created when nobody has that ${type}`,
            description:
              type === 'email'
                ? 'Emails may be shared: an email held by several profiles answers 409 (update by clientId).'
                : 'The customId is unique: it names one profile, created when new.',
            tags: TAGS,
            params: Type.Object({ [param]: Type.String({ minLength: 1, maxLength: 254 }) }),
            body: Input,
            response: { 200: Client, 202: SuppressedAnswer, ...errorResponses },
          },
        },
        async (request) => {
          const value = (request.params as Record<string, string>)[param]!;
          const body = request.body as ClientInput;
          const ref = refFor(type, value);
          return (
            await writeClient(
              services,
              environmentOf(request),
              ref,
              type === 'email' ? { email: value, ...body } : body,
            )
          ).view;
        },
      );
    }

    app.delete(
      '/clients/:clientId',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Delete a profile',
          description:
            'Deletes the profile with its identifiers, events and what was merged into it.',
          tags: TAGS,
          params: ClientIdParams,
          response: Deleted,
        },
      },
      async (request, reply) => {
        await services.queries.deleteProfile(environmentOf(request), {
          kind: 'id',
          id: request.params.clientId,
        });
        return reply.status(204).send(null);
      },
    );

    for (const [path, type, param] of [
      ['/clients/by-custom-id/:customId', 'customId', 'customId'],
      ['/clients/by-customid/:customId', 'customId', 'customId'],
      ['/clients/by-email/:email', 'email', 'email'],
    ] as const) {
      app.delete(
        path,
        {
          config: { scope: 'write' },
          schema: {
            summary: `Delete a profile (identify by ${type})`,
            description:
              type === 'email'
                ? 'Emails may be shared: an email held by several profiles answers 409 (delete by clientId).'
                : 'Deletes the profile with its identifiers, events and what was merged into it.',
            tags: TAGS,
            params: Type.Object({ [param]: Type.String({ minLength: 1, maxLength: 254 }) }),
            response: { ...Deleted, 409: Type.Ref('SpringError') },
          },
        },
        async (request, reply) => {
          const value = (request.params as Record<string, string>)[param]!;
          await services.queries.deleteProfile(environmentOf(request), refFor(type, value));
          return reply.status(204).send(null);
        },
      );
    }

    app.get(
      '/clients/:identifierType/:identifierValue',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'Fetch profile data by an identifier',
          description:
            'identifierType: `id`, `email`, `customId`, `uuid` (= anonymousId), `userId`, `phone`, ' +
            'each also as `by-…` (`by-email`, `by-customid`, `by-uuid`), case-insensitive. An ' +
            'email or phone shared by several profiles answers 409: use `/clients/batch/by-phone/…` ' +
            'or the clientId.',
          tags: TAGS,
          params: IdentifierParams,
          response: { 200: Client, 409: Type.Ref('SpringError'), ...errorResponses },
        },
      },
      async (request) =>
        readClient(
          services,
          environmentOf(request),
          refFor(request.params.identifierType, request.params.identifierValue),
        ),
    );

    app.get(
      '/clients/batch/by-phone/:phone',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'Batch fetch profiles by phone number (several may share one)',
          description: 'Answers every profile with that phone (`[]` when none).',
          tags: TAGS,
          params: Type.Object({ phone: Type.String({ minLength: 1, maxLength: 40 }) }),
          response: { 200: Type.Array(Client), ...errorResponses },
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const ref = refFor('phone', request.params.phone);
        const profiles = await services.queries.findProfiles(environmentId, ref);
        return Promise.all(profiles.map((p) => viewClient(services, environmentId, p)));
      },
    );
  };
}
