import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { environmentOf } from '../../platform/auth.js';
import type { ClientInput } from './client-mapping.js';
import { ClientBody, ClientIdParams } from './client-schemas.js';
import { readClient, writeClient } from './client-writes.js';
import { rawEvent } from './event-mapping.js';
import {
  applyToProfile,
  type ProfileManagementServices,
  prepare,
  TAGS,
} from './profile-management-context.js';
import { errorResponses, SuppressedAnswer } from './profile-management-errors.js';

/** The CRM module's view of a profile (`/crm/v1`): the same client, read and replaced by id. */
export function crmRoutes(services: ProfileManagementServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/clients/:clientId/contacts',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'Get Profile details (CRM)',
          tags: TAGS,
          params: ClientIdParams,
          response: { 200: Type.Ref('PmClient'), ...errorResponses },
        },
      },
      async (request) =>
        readClient(services, environmentOf(request), { kind: 'id', id: request.params.clientId }),
    );

    app.put(
      '/contacts/:clientId',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Update Profile (CRM)',
          description:
            'Writes the fields sent, as `POST /v4/clients/{clientId}` does: a trait is never ' +
            'deleted by leaving it out (the core keeps per-field history for merges and undo).',
          tags: TAGS,
          params: ClientIdParams,
          body: ClientBody,
          response: { 200: Type.Ref('PmClient'), 202: SuppressedAnswer, ...errorResponses },
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const ref = { kind: 'id' as const, id: request.params.clientId };
        return (await writeClient(services, environmentId, ref, request.body as ClientInput)).view;
      },
    );
  };
}

/**
 * `POST /sauth/management/client/{clientID}/logout`. Tessera issues no end-user sessions or
 * tokens, so there is nothing to revoke; what it can do is what the profile's own logout does:
 * record a `client.logout` event (marked as forced by the workspace), which ends the profile's
 * activity for rules and timelines.
 */
export function logoutRoutes(services: ProfileManagementServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/client/:clientID/logout',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Log out a Profile (records a client.logout event)',
          tags: TAGS,
          params: Type.Object({ clientID: Type.String({ minLength: 1, maxLength: 200 }) }),
          response: { 204: Type.Null(), 202: SuppressedAnswer, ...errorResponses },
        },
      },
      async (request, reply) => {
        const ref = { kind: 'id' as const, id: request.params.clientID };
        const event = rawEvent(
          { client: { clientId: ref.id }, params: { forcedBy: 'workspace' } },
          'client.logout',
        );
        await applyToProfile(services, environmentOf(request), ref, prepare([event]));
        return reply.status(204).send(null);
      },
    );
  };
}
