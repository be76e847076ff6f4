import { Type } from 'typebox';

/**
 * Route schemas of the native `/v1` API. They document the API (OpenAPI at /openapi.json) and
 * bound what reaches the services; the event-level rules (per type, naming the event's index
 * and field) live in the engine so that every surface shares them.
 */
const Time = Type.String({ format: 'date-time' });
const AnyObject = Type.Object({}, { additionalProperties: true });

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable, machine-readable error code.' }),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    requestId: Type.String(),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          index: Type.Optional(Type.Integer()),
          field: Type.String(),
          message: Type.String(),
        }),
      ),
    ),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details.' },
);

export const EventInput = Type.Object(
  {
    type: Type.String({
      enum: ['page', 'track', 'identify', 'screen', 'component', 'alias', 'group'],
    }),
    messageId: Type.Optional(Type.String()),
    timestamp: Type.Optional(Type.String()),
    sentAt: Type.Optional(Type.String()),
    anonymousId: Type.Optional(Type.String()),
    userId: Type.Optional(Type.String()),
    profileId: Type.Optional(Type.String()),
    event: Type.Optional(Type.String()),
    traits: Type.Optional(AnyObject),
    properties: Type.Optional(AnyObject),
    context: Type.Optional(AnyObject),
  },
  {
    additionalProperties: true,
    description: 'A Segment-spec event; rules per type are checked by the engine.',
  },
);

export const EventsBody = Type.Object({
  events: Type.Array(Type.Unknown(), {
    minItems: 1,
    maxItems: 1000,
    description: 'Events (see EventInput).',
  }),
});

const Identifier = Type.Object({ type: Type.String(), value: Type.String() });

export const ProfileSchema = Type.Object(
  {
    id: Type.String(),
    identifiers: Type.Array(Identifier),
    traits: AnyObject,
    traitsMeta: Type.Record(Type.String(), Type.Object({ updatedAt: Time, source: Type.String() })),
    metadata: Type.Object({
      createdAt: Time,
      updatedAt: Time,
      createdBy: Type.String(),
      firstEvent: Type.Record(Type.String(), Time),
      lastEvent: Type.Record(Type.String(), Time),
      lastActivityTime: Type.Union([Time, Type.Null()]),
      eventCount: Type.Integer(),
    }),
    session: Type.Union([
      Type.Null(),
      Type.Object({
        id: Type.String(),
        count: Type.Integer(),
        isReturningVisitor: Type.Boolean(),
        landingPage: AnyObject,
        startedAt: Time,
        lastEventAt: Time,
        activeSessionLength: Type.Integer({ description: 'Milliseconds.' }),
        averageSessionLength: Type.Integer({ description: 'Milliseconds.' }),
      }),
    ]),
    location: AnyObject,
    stickyVariants: Type.Record(
      Type.String(),
      Type.Object({ variantIndex: Type.Integer(), at: Time }),
    ),
    mergedIds: Type.Array(Type.String()),
  },
  { $id: 'Profile' },
);

export const RefParams = Type.Object({
  ref: Type.String({
    minLength: 1,
    maxLength: 260,
    description:
      'A profile id, or `type:value` with type userId, anonymousId, customId, email or phone.',
  }),
});

export const IngestResponse = Type.Object({
  accepted: Type.Integer(),
  duplicates: Type.Integer(),
  suppressed: Type.Integer({
    description: 'Events of opted-out people: acknowledged, not stored.',
  }),
  profileIds: Type.Array(Type.String()),
  rejected: Type.Array(
    Type.Object({ index: Type.Integer(), code: Type.String(), message: Type.String() }),
  ),
});

export const ProfileIngestResponse = Type.Object({
  profile: Type.Union([Type.Ref('Profile'), Type.Null()], {
    description: 'null when nothing was stored for a profile that does not exist (e.g. opted out).',
  }),
  accepted: Type.Integer(),
  duplicates: Type.Integer(),
  suppressed: Type.Integer(),
});

export const ListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
});

export const EventListQuery = Type.Object({
  include: Type.Optional(Type.String({ description: 'Comma-separated actions to keep.' })),
  exclude: Type.Optional(Type.String({ description: 'Comma-separated actions to leave out.' })),
  start: Type.Optional(Time),
  end: Type.Optional(Time),
  order: Type.String({ enum: ['asc', 'desc'], default: 'desc' }),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
});

export const StoredEventSchema = Type.Object(
  {
    id: Type.String(),
    profileId: Type.String(),
    type: Type.String(),
    action: Type.String(),
    messageId: Type.String(),
    timestamp: Time,
    receivedAt: Time,
  },
  { additionalProperties: true },
);

export const Page = <T extends ReturnType<typeof Type.Object> | ReturnType<typeof Type.Ref>>(
  item: T,
) => Type.Object({ data: Type.Array(item), next: Type.Union([Type.String(), Type.Null()]) });

/**
 * For routes whose documented answer is a union (a profile or a list, a profile or null): the
 * schema documents it, but serializing through it would make fast-json-stringify validate each
 * answer against every branch (date-time formats included) to pick one. The presenter already
 * controls the shape, so these answers are serialized as they are.
 */
export const plainJson = () => (data: unknown) => JSON.stringify(data);

/** What Fastify declares for the JSON it serializes, for answers sent as ready JSON text. */
export const JSON_TYPE = 'application/json; charset=utf-8';
