import { Type } from 'typebox';

/**
 * Route schemas of the profiles read API. Fastify's query-string coercion turns `size=10` into
 * a number; anything the schema refuses answers `400 invalid_request_error`.
 */
const PathKey = Type.String({ minLength: 1, maxLength: 100 });

export const TripleParams = Type.Object({
  clientId: PathKey,
  accountId: PathKey,
  brandId: PathKey,
});

export const ProfileParams = Type.Object({
  ...TripleParams.properties,
  profileId: Type.String({ minLength: 1, maxLength: 260, description: '`{idType}:{id}`' }),
});

export const EventsQuery = Type.Object({
  include: Type.Optional(
    Type.String({
      maxLength: 2000,
      description: 'Comma list of actions (or event names) to keep.',
    }),
  ),
  exclude: Type.Optional(
    Type.String({
      maxLength: 2000,
      description: 'Comma list of actions (or event names) to drop.',
    }),
  ),
  start: Type.Optional(
    Type.String({ maxLength: 64, description: 'ISO 8601: events at or after this time.' }),
  ),
  end: Type.Optional(
    Type.String({ maxLength: 64, description: 'ISO 8601: events at or before this time.' }),
  ),
  sort: Type.Optional(
    Type.String({ maxLength: 16, description: '`asc` or `desc` (default) by event time.' }),
  ),
  from: Type.Integer({
    minimum: 0,
    default: 0,
    description: 'Hits to skip; from + size ≤ 10,000.',
  }),
  size: Type.Integer({ minimum: 1, maximum: 100, default: 100, description: 'Events per page.' }),
});

export const ListQuery = Type.Object({
  // The document writes `?scrollid=`; the field it answers is `scrollId`: both are read.
  scrollid: Type.Optional(Type.String({ maxLength: 512 })),
  scrollId: Type.Optional(Type.String({ maxLength: 512 })),
  // The document's lists take `from`; this one pages with scrollId, so any other offset is
  // refused rather than ignored.
  from: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 0, description: 'Only 0: page on with `scrollId`.' }),
  ),
  size: Type.Integer({ minimum: 1, maximum: 100, default: 100, description: 'Profiles per page.' }),
});
