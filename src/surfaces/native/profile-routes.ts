import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors/app-error.js';
import { parseProfileRef } from '../../modules/profiles/profile-ref.js';
import { environmentOf } from '../../platform/auth.js';
import type { NativeServices } from './native-context.js';
import {
  decodeCursor,
  encodeCursor,
  presentEvent,
  presentMerge,
  presentProfile,
  profileJson,
} from './native-presenters.js';
import {
  EventListQuery,
  JSON_TYPE,
  ListQuery,
  Page,
  plainJson,
  RefParams,
  StoredEventSchema,
} from './native-schemas.js';

const csv = (value: string | undefined) =>
  value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const isProfileCursor = (v: unknown): v is { after: string } =>
  typeof (v as { after?: unknown })?.after === 'string';
const isEventCursor = (v: unknown): v is { t: number; id: string } =>
  Number.isSafeInteger((v as { t?: unknown })?.t) &&
  typeof (v as { id?: unknown })?.id === 'string';

/** An ISO date-time of the query as epoch ms; one the format lets through but no clock has (a
 * leap second) is a 400, not a NaN in a query. */
function timeOf(field: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (!Number.isNaN(ms)) return ms;
  throw new AppError('validation_failed', `${field} is not a valid date-time.`, [
    { field: `querystring.${field}`, message: 'is not a valid date-time' },
  ]);
}

function badCursor(): AppError {
  return new AppError('validation_failed', 'The cursor is not valid.', [
    { field: 'querystring.cursor', message: 'is not a cursor this API returned' },
  ]);
}

/** Reading, listing and deleting profiles; their timelines and merge logs. */
export function profileRoutes(services: NativeServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/profiles',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'List profiles (oldest first) with a cursor',
          tags: ['profiles'],
          querystring: ListQuery,
          response: { 200: Page(Type.Ref('Profile')) },
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const { limit, cursor } = request.query;
        const position = cursor === undefined ? null : decodeCursor(cursor, isProfileCursor);
        if (cursor !== undefined && !position) throw badCursor();
        const profiles = await services.queries.listProfiles(
          environmentId,
          position?.after ?? null,
          limit,
        );
        const last = profiles.at(-1);
        return {
          data: profiles.map(presentProfile),
          next: profiles.length === limit && last ? encodeCursor({ after: last.id }) : null,
        };
      },
    );

    app.get(
      '/profiles/:ref',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'Get a profile by id or identifier',
          description:
            'Answers a `Profile`. An email or phone shared by several profiles answers `{ "data": [Profile, …] }`.',
          tags: ['profiles'],
          params: RefParams,
          response: {
            200: Type.Union([
              Type.Ref('Profile'),
              Type.Object({ data: Type.Array(Type.Ref('Profile')) }),
            ]),
          },
        },
        serializerCompiler: plainJson,
      },
      async (request, reply) => {
        const environmentId = environmentOf(request);
        const profiles = await services.queries.findProfiles(
          environmentId,
          parseProfileRef(request.params.ref),
        );
        if (profiles.length === 0) throw new AppError('profile_not_found');
        // Sent as text: the presented JSON is kept per document (see profileJson).
        reply.type(JSON_TYPE);
        if (profiles.length === 1) return reply.send(profileJson(profiles[0]!));
        return reply.send(`{"data":[${profiles.map(profileJson).join(',')}]}`);
      },
    );

    app.delete(
      '/profiles/:ref',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Delete a profile with its identifiers, events and merge log',
          tags: ['profiles'],
          params: RefParams,
          response: { 204: Type.Null() },
        },
      },
      async (request, reply) => {
        await services.queries.deleteProfile(
          environmentOf(request),
          parseProfileRef(request.params.ref),
        );
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/profiles/:ref/events',
      {
        config: { scope: 'read' },
        schema: {
          summary: "A profile's events, filtered, ordered by event time, with a cursor",
          tags: ['profiles'],
          params: RefParams,
          querystring: EventListQuery,
          response: { 200: Page(StoredEventSchema) },
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const q = request.query;
        const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor, isEventCursor);
        if (after === null) throw badCursor();
        const order = q.order === 'asc' ? 'asc' : 'desc';
        const events = await services.queries.listEvents(
          environmentId,
          parseProfileRef(request.params.ref),
          {
            include: csv(q.include),
            exclude: csv(q.exclude),
            start: timeOf('start', q.start),
            end: timeOf('end', q.end),
            order,
            limit: q.limit,
            after: after ? { timestamp: after.t, id: after.id } : undefined,
          },
        );
        const last = events.at(-1);
        return {
          data: events.map(presentEvent),
          next:
            events.length === q.limit && last
              ? encodeCursor({ t: last.event.timestamp, id: last.id })
              : null,
        };
      },
    );

    app.get(
      '/profiles/:ref/merges',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'The merge log of a profile: what triggered each merge and both prior states',
          tags: ['profiles'],
          params: RefParams,
        },
      },
      async (request) => {
        const records = await services.merges.listMerges(
          environmentOf(request),
          parseProfileRef(request.params.ref),
        );
        return { data: records.map(presentMerge) };
      },
    );

    app.post(
      '/profiles/:ref/merges/:mergeId/undo',
      {
        config: { scope: 'write' },
        schema: {
          summary:
            'Undo a merge: the merged profile comes back with its identifiers, traits and events',
          tags: ['profiles'],
          params: Type.Object({
            ref: RefParams.properties.ref,
            mergeId: Type.String({ maxLength: 64 }),
          }),
          response: {
            200: Type.Object({ survivor: Type.Ref('Profile'), restored: Type.Ref('Profile') }),
          },
        },
      },
      async (request) => {
        const result = await services.merges.unmerge(
          environmentOf(request),
          parseProfileRef(request.params.ref),
          request.params.mergeId,
        );
        return {
          survivor: presentProfile(result.survivor),
          restored: presentProfile(result.restored),
        };
      },
    );
  };
}
