import { Type } from 'typebox';

/**
 * Route schemas of the 004 consent, preference and history routes. They document the wire and
 * bound sizes; the rules are the engine's (consent-validate.ts, consent-validate-fields.ts),
 * applied by mypreferences-consent-input.ts so that problems come back in the dialect's field
 * names. Unknown fields are reported there too (Fastify's validator would only strip them).
 */
// Null first: with Fastify's type coercion, `[String, Null]` would turn a null into "".
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([Type.Null(), t]);
const Text = Type.String({ maxLength: 200 });
const Name = Type.String({ maxLength: 100 });
const Time = Nullable(Type.String({ description: 'ISO 8601 date-time.' }));

export const ProfileParams = Type.Object({
  clientId: Type.String({ minLength: 1, maxLength: 200 }),
  profileId: Type.String({
    maxLength: 260,
    description:
      'A ProfileId, or a `Type:Value` identifier (`userId:john.doe`) or alternate id (`CRM:123`), as the profile GET reads it.',
  }),
});

const AttachedTo = Type.Object(
  {
    Type: Type.String({
      enum: ['Profile', 'ContactElement', 'Device', 'Application', 'Preference'],
    }),
    Value: Type.Optional(
      Nullable(
        Type.String({
          maxLength: 200,
          description:
            'ContactElement: an email address or phone number; Device / Application: its id; ' +
            'Preference: `Topic:Channel`; Profile: none.',
        }),
      ),
    ),
  },
  { description: 'What the consent is attached to; default `{"Type": "Profile"}`.' },
);

const Recorded = {
  Source: Type.Optional(Type.String({ maxLength: 200, description: 'What captured it.' })),
  CollectedBy: Type.Optional(Nullable(Text)),
  IpAddress: Type.Optional(
    Nullable(Type.String({ maxLength: 45, description: 'Default: the request’s address.' })),
  ),
  ExpiresAt: Type.Optional(Time),
};

export const ConsentsBody = Type.Object({
  Consents: Type.Array(
    Type.Object({
      Purpose: Name,
      Status: Type.String({ enum: ['Granted', 'Denied', 'Withdrawn'] }),
      PolicyVersion: Text,
      ...Recorded,
      AttachedTo: Type.Optional(AttachedTo),
    }),
    { minItems: 1, maxItems: 100 },
  ),
});

export const PreferencesBody = Type.Object({
  Preferences: Type.Array(
    Type.Object({
      Topic: Name,
      Channel: Name,
      Subscribed: Type.Boolean(),
      Frequency: Type.Optional(
        Nullable(Type.String({ description: '`immediate`, `daily`, `weekly`, `monthly`, ...' })),
      ),
      ...Recorded,
    }),
    { minItems: 1, maxItems: 100 },
  ),
});

const DataPoint = Type.String({
  maxLength: 300,
  description:
    '`person`, `contact:email:<address>`, `contact:phone:<number>`, `device:<id>`, ' +
    '`application:<id>` or `preference:<topic>:<channel>`.',
});

export const ConsentFilter = Type.Object({
  purpose: Type.Optional(Name),
  dataPoint: Type.Optional(DataPoint),
});
export const PreferenceFilter = Type.Object({
  topic: Type.Optional(Name),
  channel: Type.Optional(Name),
});
export const Paging = {
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  cursor: Type.Optional(
    Type.String({ maxLength: 64, description: 'The `NextCursor` of the previous page.' }),
  ),
};
export const CombinedHistoryQuery = Type.Object({
  dataPoint: Type.Optional(
    Type.String({
      maxLength: 400,
      description:
        '`Consent:<Purpose>[:<data point>]` or `Preference:<Topic>[:<Channel>]`; none: every ' +
        'consent and preference entry, in the order recorded.',
    }),
  ),
  ...Paging,
});

const ConsentOut = Type.Object({
  Purpose: Type.String(),
  Status: Type.String({ enum: ['Granted', 'Denied', 'Withdrawn', 'Expired'] }),
  RecordedStatus: Type.String(),
  PolicyVersion: Type.String(),
  CurrentPolicyVersion: Nullable(Type.String()),
  NeedsRenewal: Type.Boolean(),
  AttachedTo: Type.Object({ Type: Type.String(), Value: Nullable(Type.String()) }),
  DataPoint: Type.String(),
  Source: Type.String(),
  CollectedAt: Time,
  CollectedBy: Nullable(Type.String()),
  IpAddress: Nullable(Type.String()),
  ExpiresAt: Time,
  LapsedAt: Time,
});

const PreferenceOut = Type.Object({
  Topic: Type.String(),
  Channel: Type.String(),
  Subscribed: Type.Boolean(),
  RecordedSubscribed: Type.Boolean(),
  Frequency: Nullable(Type.String()),
  Expired: Type.Boolean(),
  Source: Type.String(),
  CollectedAt: Time,
  CollectedBy: Nullable(Type.String()),
  IpAddress: Nullable(Type.String()),
  ExpiresAt: Time,
  LapsedAt: Time,
});

export const ConsentsReply = Type.Object({
  ProfileId: Type.String(),
  Consents: Type.Array(ConsentOut),
});
export const PreferencesReply = Type.Object({
  ProfileId: Type.String(),
  Preferences: Type.Array(PreferenceOut),
});
export const HistoryReply = Type.Object({
  ProfileId: Type.String(),
  History: Type.Array(
    Type.Object(
      {
        HistoryId: Type.String(),
        Change: Type.String({ enum: ['Set', 'Lapsed'] }),
        ChangedAt: Type.String(),
        RecordedAt: Type.String(),
        Type: Type.String({ enum: ['Consent', 'Preference'] }),
      },
      { additionalProperties: true },
    ),
  ),
  NextCursor: Nullable(Type.String()),
});
