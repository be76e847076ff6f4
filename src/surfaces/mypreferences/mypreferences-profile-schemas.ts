import { Type } from 'typebox';

/**
 * TypeBox schemas of the MyPreferences profile bodies (PascalCase, as the 004 document writes
 * them). They validate requests and document answers in the OpenAPI spec; answers are serialized
 * as plain JSON (see {@link plainJson}).
 */

/** Tessera's identifier types, or any other system's or device's name (`CRM`, `DeviceId`). */
export const AlternateIdSchema = Type.Object({
  Type: Type.String({
    minLength: 1,
    maxLength: 50,
    pattern: '^[^:]+$',
    description:
      'userId, anonymousId, customId, email and phone are Tessera identifiers; any other type ' +
      '(CRM, DeviceId, …) is an alternate id that names at most one profile.',
  }),
  Value: Type.String({ minLength: 1, maxLength: 200 }),
});

const Name = Type.String({ minLength: 1, maxLength: 100 });

export const ProfileBodySchema = Type.Object({
  AlternateIds: Type.Array(AlternateIdSchema, {
    minItems: 1,
    maxItems: 20,
    description:
      'The first one names the profile: an alternate id held by no profile (and no Tessera ' +
      'identifier among the others) creates one. Every one is attached to the profile (emails ' +
      'lower-cased, phones as +digits), or the request is refused (400 or 409) and nothing is ' +
      'written.',
  }),
  Traits: Type.Optional(Type.Object({}, { additionalProperties: true })),
  Tags: Type.Optional(
    Type.Array(Name, {
      maxItems: 50,
      description: 'Tag names to assign (a tag unknown to the environment is created).',
    }),
  ),
  CustomFields: Type.Optional(
    Type.Object(
      {},
      {
        additionalProperties: true,
        maxProperties: 50,
        description:
          'Name → value (null clears). Kept as traits `customFields.<Name>`, each merged by event time.',
      },
    ),
  ),
  Groups: Type.Optional(
    Type.Array(Name, { maxItems: 50, description: 'Groups to add the profile to.' }),
  ),
});

export const ProfileSchema = Type.Object({
  ProfileId: Type.String(),
  AlternateIds: Type.Array(AlternateIdSchema),
  Traits: Type.Object({}, { additionalProperties: true }),
  Tags: Type.Array(Type.String()),
  CustomFields: Type.Object({}, { additionalProperties: true }),
  Groups: Type.Array(Type.String()),
  CreatedDate: Type.String({ format: 'date-time' }),
  ModifiedDate: Type.String({ format: 'date-time' }),
});

export const ProfileListSchema = Type.Object({ Profiles: Type.Array(ProfileSchema) });

export const ProfileSearchQuerySchema = Type.Object(
  {
    tag: Type.Optional(Name),
    group: Type.Optional(Name),
    alternateId: Type.Optional(
      Type.String({ minLength: 3, maxLength: 260, description: '`Type:Value`' }),
    ),
    email: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    phone: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    userId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    customId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    anonymousId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  {
    // Other names are refused by the route with their name (Fastify's default would silently
    // strip them under `additionalProperties: false`, turning `?tag=a&typo=b` into a tag search).
    additionalProperties: true,
    // `customField.<Name>=<value>`: the value as text (strings as they are, others as JSON).
    patternProperties: { '^customField\\..{1,100}$': Type.String({ maxLength: 500 }) },
    description:
      'Exactly one criterion: tag, group, customField.<Name>, alternateId=Type:Value, or a ' +
      'Tessera identifier (email, phone, userId, customId, anonymousId).',
  },
);

/** Answers are built by the presenters: serialize them as they are (no per-field checks). */
export const plainJson = () => (data: unknown) => JSON.stringify(data);
