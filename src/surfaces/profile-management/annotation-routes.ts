import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import type { DeviceLink } from '../../modules/annotations/device-service.js';
import type { ProfileRef } from '../../modules/profiles/profile-ref.js';
import { environmentOf } from '../../platform/auth.js';
import {
  DeviceBody,
  DeviceView,
  NoteCreateBody,
  NoteParams,
  NoteUpdateBody,
  NoteView,
  presentDevice,
  presentNote,
} from './annotation-schemas.js';
import { refFor } from './client-mapping.js';
import { ClientIdParams, IdentifierParams } from './client-schemas.js';
import type { ProfileManagementServices } from './profile-management-context.js';
import { TAGS } from './profile-management-context.js';
import { errorResponses } from './profile-management-errors.js';

type DeviceInput = Static<typeof DeviceBody>;

/** The wire device onto the core's link (`registrationId` is the push token). */
function linkOf(body: DeviceInput): DeviceLink {
  const extra: Record<string, unknown> = {};
  if (body.manufacturer !== undefined) extra.manufacturer = body.manufacturer;
  if (body.osVersion !== undefined) extra.osVersion = body.osVersion;
  const attributes =
    body.attributes !== undefined || Object.keys(extra).length > 0
      ? { ...(body.attributes ?? {}), ...extra }
      : undefined;
  const token = body.registrationId !== undefined ? body.registrationId : body.pushToken;
  return {
    deviceId: body.deviceId,
    type: (body.type ?? 'other') as DeviceLink['type'],
    ...(token !== undefined ? { pushToken: token } : {}),
    ...(body.name !== undefined ? { name: body.name } : {}),
    ...(body.model !== undefined ? { model: body.model } : {}),
    ...(body.os !== undefined ? { os: body.os } : {}),
    ...(attributes ? { attributes } : {}),
  };
}

/** Notes (`/notes-service/by-id/{clientId}…`). */
export function noteRoutes(services: ProfileManagementServices): FastifyPluginAsyncTypebox {
  const profileOf = (request: FastifyRequest, clientId: string) =>
    services.queries.getProfile(environmentOf(request), { kind: 'id', id: clientId });
  return async (app) => {
    const base = '/by-id/:clientId';
    app.get(
      base,
      {
        config: { scope: 'read' },
        schema: {
          summary: 'Get all Profile notes (oldest first)',
          tags: TAGS,
          params: ClientIdParams,
          response: { 200: Type.Array(NoteView), ...errorResponses },
        },
      },
      async (request) => {
        const profile = await profileOf(request, request.params.clientId);
        return (await services.annotations.notes.listNotes(environmentOf(request), profile)).map(
          presentNote,
        );
      },
    );
    app.post(
      base,
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Create a note',
          tags: TAGS,
          params: ClientIdParams,
          body: NoteCreateBody,
          response: { 201: NoteView, ...errorResponses },
        },
      },
      async (request, reply) => {
        const profile = await profileOf(request, request.params.clientId);
        const note = await services.annotations.notes.createNote(
          environmentOf(request),
          profile,
          request.body,
        );
        return reply.status(201).send(presentNote(note));
      },
    );
    app.get(
      `${base}/:noteId`,
      {
        config: { scope: 'read' },
        schema: {
          summary: 'Get note',
          tags: TAGS,
          params: NoteParams,
          response: { 200: NoteView, ...errorResponses },
        },
      },
      async (request) => {
        const profile = await profileOf(request, request.params.clientId);
        return presentNote(
          await services.annotations.notes.getNote(
            environmentOf(request),
            profile,
            request.params.noteId,
          ),
        );
      },
    );
    app.put(
      `${base}/:noteId`,
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Update note (the fields sent; `subject: null` clears it)',
          tags: TAGS,
          params: NoteParams,
          body: NoteUpdateBody,
          response: { 200: NoteView, ...errorResponses },
        },
      },
      async (request) => {
        const profile = await profileOf(request, request.params.clientId);
        return presentNote(
          await services.annotations.notes.updateNote(
            environmentOf(request),
            profile,
            request.params.noteId,
            request.body,
          ),
        );
      },
    );
    app.delete(
      `${base}/:noteId`,
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Delete note',
          tags: TAGS,
          params: NoteParams,
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        const profile = await profileOf(request, request.params.clientId);
        await services.annotations.notes.deleteNote(
          environmentOf(request),
          profile,
          request.params.noteId,
        );
        return reply.status(204).send(null);
      },
    );
  };
}

/** Linked devices (`/v4/clients/…/linked-devices`). */
export function deviceRoutes(services: ProfileManagementServices): FastifyPluginAsyncTypebox {
  const link = async (request: FastifyRequest, ref: ProfileRef, body: DeviceInput) => {
    const environmentId = environmentOf(request);
    const profile = await services.queries.getProfile(environmentId, ref);
    return presentDevice(
      await services.annotations.devices.linkDevice(environmentId, profile, linkOf(body)),
    );
  };
  const description =
    'Links the device (linking it again updates it; linking it to another profile moves it). ' +
    '`registrationId` is its push token; a field left out keeps its stored value.';
  return async (app) => {
    app.post(
      '/clients/:clientId/linked-devices',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Link a device by profile ID',
          description,
          tags: TAGS,
          params: ClientIdParams,
          body: DeviceBody,
          response: { 200: DeviceView, ...errorResponses },
        },
      },
      async (request) => link(request, { kind: 'id', id: request.params.clientId }, request.body),
    );
    app.post(
      '/clients/:identifierType/:identifierValue/linked-devices',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Link a device by other parameters (email, customId, uuid, userId, phone)',
          description,
          tags: TAGS,
          params: IdentifierParams,
          body: DeviceBody,
          response: { 200: DeviceView, ...errorResponses },
        },
      },
      async (request) =>
        link(
          request,
          refFor(request.params.identifierType, request.params.identifierValue),
          request.body,
        ),
    );
  };
}

/** Push-token clean-up (`/push-devices/…/clean-up/{clientId}`): devices stay linked. */
export function pushCleanUpRoutes(services: ProfileManagementServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    for (const [path, channel, summary] of [
      ['/web-push/clean-up/:clientId', 'web-push', 'Clean up web push tokens'],
      ['/mobile-push-subscriber/clean-up/:clientId', 'mobile-push', 'Clean up mobile push tokens'],
    ] as const) {
      app.post(
        path,
        {
          config: { scope: 'write' },
          schema: {
            summary,
            description: `Forgets the ${channel} tokens of the profile's devices; answers how many.`,
            tags: TAGS,
            params: ClientIdParams,
            response: { 200: Type.Object({ cleared: Type.Integer() }), ...errorResponses },
          },
        },
        async (request) => {
          const environmentId = environmentOf(request);
          const profile = await services.queries.getProfile(environmentId, {
            kind: 'id',
            id: request.params.clientId,
          });
          const cleared = await services.annotations.devices.cleanUpPushTokens(
            environmentId,
            profile,
            channel,
          );
          return { cleared };
        },
      );
    }
  };
}
