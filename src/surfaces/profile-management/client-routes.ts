import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import type { ProfileRef } from '../../modules/profiles/profile-ref.js';
import { environmentOf } from '../../platform/auth.js';
import { type ClientInput, clientIdentify, presentClient, refFor } from './client-mapping.js';
import { ClientBody, ClientIdParams, IdentifierParams } from './client-schemas.js';
import {
  applyToProfile,
  type ProfileManagementServices,
  prepare,
  TAGS,
} from './profile-management-context.js';
import { errorResponses } from './profile-management-errors.js';

const Client = Type.Ref('PmClient');
const Input = ClientBody;
const Deleted = { 204: Type.Null(), ...errorResponses };

/**
 * A customId is the profile's own identifier: it comes with the profile (create, or upsert by
 * customId). The core attaches a customId only to a profile created through it, so a body that
 * asks an existing profile for another customId is refused rather than silently ignored.
 */
export async function checkCustomId(
  services: ProfileManagementServices,
  environmentId: string,
  ref: ProfileRef,
  body: ClientInput,
): Promise<void> {
  const wanted = body.customId;
  if (wanted === undefined) return;
  if (ref.kind === 'identifier' && ref.type === 'customId' && ref.value === wanted) return;
  const profiles = await services.queries.findProfiles(environmentId, ref);
  const holds = profiles.some((p) =>
    p.identifiers.some((i) => i.type === 'customId' && i.value === wanted),
  );
  if (!holds) {
    throw new AppError(
      'conflict',
      'customId is set when a profile is created (POST /v4/clients or by-customid); it cannot be changed on an existing profile.',
    );
  }
}

/** Create, read, update and delete one profile (`/v4/clients…`). */
export function clientRoutes(services: ProfileManagementServices): FastifyPluginAsyncTypebox {
  /** Upsert: applies a client body to the profile `ref` names, created when nobody holds it. */
  const upsert = async (environmentId: string, ref: ProfileRef, body: ClientInput) => {
    await checkCustomId(services, environmentId, ref, body);
    const result = await applyToProfile(
      services,
      environmentId,
      ref,
      prepare([clientIdentify(body)]),
    );
    return presentClient(result.profile);
  };

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
          response: { 201: Client, 409: Type.Ref('SpringError'), ...errorResponses },
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
        const result = await applyToProfile(
          services,
          environmentId,
          ref,
          prepare([clientIdentify({ ...body, uuid })]),
        );
        return reply
          .status(201)
          .header('location', `/v4/clients/${result.profile.id}`)
          .send(presentClient(result.profile));
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
        presentClient(
          await services.queries.getProfile(environmentOf(request), {
            kind: 'id',
            id: request.params.clientId,
          }),
        ),
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
          response: { 200: Client, ...errorResponses },
        },
      },
      async (request) =>
        upsert(
          environmentOf(request),
          { kind: 'id', id: request.params.clientId },
          request.body as ClientInput,
        ),
    );

    for (const [path, type, param] of [
      ['/clients/by-email/:email', 'email', 'email'],
      ['/clients/by-customid/:customId', 'customId', 'customId'],
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
            response: { 200: Client, ...errorResponses },
          },
        },
        async (request) => {
          const value = (request.params as Record<string, string>)[param]!;
          const body = request.body as ClientInput;
          const ref = refFor(type, value);
          return upsert(
            environmentOf(request),
            ref,
            type === 'email' ? { email: value, ...body } : body,
          );
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

    app.delete(
      '/clients/by-custom-id/:customId',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Delete a profile (identify by customId)',
          tags: TAGS,
          params: Type.Object({ customId: Type.String({ minLength: 1, maxLength: 200 }) }),
          response: Deleted,
        },
      },
      async (request, reply) => {
        await services.queries.deleteProfile(
          environmentOf(request),
          refFor('customId', request.params.customId),
        );
        return reply.status(204).send(null);
      },
    );

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
        presentClient(
          await services.queries.getProfile(
            environmentOf(request),
            refFor(request.params.identifierType, request.params.identifierValue),
          ),
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
        const profiles = await services.queries.findProfiles(
          environmentOf(request),
          refFor('phone', request.params.phone),
        );
        return profiles.map((p) => presentClient(p));
      },
    );
  };
}
