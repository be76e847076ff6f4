import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { environmentOf } from '../../platform/auth.js';
import { presentTag, TagBody, TagParams, TagUpdateBody, TagView } from './annotation-schemas.js';
import { ClientIdParams } from './client-schemas.js';
import { type ProfileManagementServices, TAGS } from './profile-management-context.js';
import { errorResponses } from './profile-management-errors.js';

const AssignParams = Type.Object({ ...ClientIdParams.properties, ...TagParams.properties });

/** Tags: defined per environment (`/v4/tags`), assigned to profiles (`/v4/clients/{id}/tags`). */
export function tagRoutes(services: ProfileManagementServices): FastifyPluginAsyncTypebox {
  const tags = () => services.annotations.tags;
  const profileOf = (environmentId: string, clientId: string) =>
    services.queries.getProfile(environmentId, { kind: 'id', id: clientId });
  return async (app) => {
    app.get(
      '/clients/tags',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'Get all tags (by name)',
          tags: TAGS,
          response: { 200: Type.Array(TagView), ...errorResponses },
        },
      },
      async (request) => (await tags().listTags(environmentOf(request))).map(presentTag),
    );
    app.post(
      '/tags',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Create a tag (a name already used answers 409)',
          tags: TAGS,
          body: TagBody,
          response: { 201: TagView, 409: Type.Ref('SpringError'), ...errorResponses },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(presentTag(await tags().createTag(environmentOf(request), request.body))),
    );
    app.put(
      '/tags/:tagID',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Update a tag (the fields sent)',
          tags: TAGS,
          params: TagParams,
          body: TagUpdateBody,
          response: { 200: TagView, 409: Type.Ref('SpringError'), ...errorResponses },
        },
      },
      async (request) =>
        presentTag(
          await tags().updateTag(environmentOf(request), request.params.tagID, request.body),
        ),
    );
    app.delete(
      '/tags/:tagID',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Remove a tag (and its assignments)',
          tags: TAGS,
          params: TagParams,
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        await tags().deleteTag(environmentOf(request), request.params.tagID);
        return reply.status(204).send(null);
      },
    );
    app.get(
      '/clients/:clientId/tags',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'Get profile tags',
          tags: TAGS,
          params: ClientIdParams,
          response: { 200: Type.Array(TagView), ...errorResponses },
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const profile = await profileOf(environmentId, request.params.clientId);
        return (await tags().tagsOfProfile(environmentId, profile)).map(presentTag);
      },
    );
    app.post(
      '/clients/:clientId/tags/:tagID',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Assign tag to profile (again: no change)',
          tags: TAGS,
          params: AssignParams,
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        const environmentId = environmentOf(request);
        const profile = await profileOf(environmentId, request.params.clientId);
        await tags().assignTag(environmentId, profile, request.params.tagID);
        return reply.status(204).send(null);
      },
    );
    app.delete(
      '/clients/:clientId/tags/:tagID',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Remove tag from profile (not assigned: no change)',
          tags: TAGS,
          params: AssignParams,
          response: { 204: Type.Null(), ...errorResponses },
        },
      },
      async (request, reply) => {
        const environmentId = environmentOf(request);
        const profile = await profileOf(environmentId, request.params.clientId);
        await tags().removeTag(environmentId, profile, request.params.tagID);
        return reply.status(204).send(null);
      },
    );
  };
}
