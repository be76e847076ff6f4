import { Type } from 'typebox';

/** Standard profile fields of the 001 document, all optional strings (Synerise's "client"). */
export const STANDARD_FIELDS = [
  'email',
  'phone',
  'firstName',
  'lastName',
  'displayName',
  'company',
  'address',
  'city',
  'zipCode',
  'province',
  'countryCode',
  'birthDate',
  'sex',
  'avatarUrl',
] as const;
export type StandardField = (typeof STANDARD_FIELDS)[number];

/** Marketing agreements Synerise keeps per channel. */
export const AGREEMENT_CHANNELS = ['email', 'sms', 'push', 'webPush', 'bluetooth', 'rfid', 'wifi'];

const Text = (maxLength = 500) => Type.String({ maxLength });
const Id = Type.String({ minLength: 1, maxLength: 200 });

const standardProperties = Object.fromEntries(
  STANDARD_FIELDS.map((f) => [f, Type.Optional(f === 'email' ? Text(254) : Text())]),
) as Record<StandardField, ReturnType<typeof Type.Optional<ReturnType<typeof Text>>>>;

const Agreements = Type.Record(Type.String({ maxLength: 64 }), Type.Boolean(), {
  description: `Per channel (${AGREEMENT_CHANNELS.join(', ')}, or your own): true = agreed`,
});

const Attributes = Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Type.Unknown(), {
  description: 'Custom attributes: kept as profile traits (a nested object is one value)',
});

/** A profile as written: every field optional; keys are checked by the route. */
export const ClientBody = Type.Object(
  {
    ...standardProperties,
    customId: Type.Optional(Id),
    uuid: Type.Optional(Id),
    attributes: Type.Optional(Attributes),
    agreements: Type.Optional(Agreements),
    tags: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100 }),
    ),
  },
  { additionalProperties: false, title: 'Client (input)' },
);

/** A profile as read. `clientId` is Tessera's profile id. */
export const ClientView = Type.Object(
  {
    clientId: Type.String(),
    uuid: Type.Union([Type.String(), Type.Null()]),
    customId: Type.Union([Type.String(), Type.Null()]),
    ...Object.fromEntries(
      STANDARD_FIELDS.map((f) => [f, Type.Union([Type.String(), Type.Null()])]),
    ),
    attributes: Type.Record(Type.String(), Type.Unknown()),
    agreements: Type.Record(Type.String(), Type.Boolean()),
    tags: Type.Array(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    lastActivityDate: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'PmClient', title: 'Client' },
);

export const ClientIdParams = Type.Object({ clientId: Id });
export const IdentifierParams = Type.Object({
  identifierType: Type.String({
    minLength: 1,
    maxLength: 40,
    description:
      'id, by-id, email, by-email, customId, by-customid, uuid, by-uuid, anonymousId, userId, by-userid, phone, by-phone (case-insensitive)',
  }),
  identifierValue: Id,
});

/** The client reference of events and transactions: one of these names the profile. */
export const ClientRef = Type.Object(
  {
    clientId: Type.Optional(Id),
    customId: Type.Optional(Id),
    uuid: Type.Optional(Id),
    email: Type.Optional(Type.String({ minLength: 3, maxLength: 254 })),
  },
  {
    additionalProperties: false,
    description: 'Which profile: clientId, customId, uuid or email (first one set, in that order)',
  },
);

export const BatchItemResult = Type.Object({
  index: Type.Integer(),
  status: Type.Integer({ description: 'HTTP status of this item alone' }),
  clientId: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
});
