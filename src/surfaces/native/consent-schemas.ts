import { Type } from 'typebox';
import { IdParam } from '../../lib/ids.js';

/**
 * Route schemas of the consent routes. They document the API and bound sizes; the rules
 * (names, attachments, expiries in the future) are the engine's (consent-validate.ts,
 * consent-validate-fields.ts), so that every surface that records consents shares them.
 */
export const Name = Type.String({ minLength: 1, maxLength: 100 });
export const Text = Type.String({ maxLength: 200 });
// Null first: with Fastify's type coercion, `[String, Null]` turns a null into "".
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([Type.Null(), t]);
const Expiry = Nullable(
  Type.String({ description: 'ISO 8601 date-time after which the record no longer holds.' }),
);
const Address = Nullable(
  Type.String({ maxLength: 45, description: 'Default: the address of the request.' }),
);

export const ConsentBody = Type.Object({
  state: Type.String({ enum: ['granted', 'denied', 'withdrawn'] }),
  policyVersion: Text,
  source: Type.String({ maxLength: 200, description: 'What captured it (`web-signup`, `crm`).' }),
  actor: Type.Optional(Nullable(Text)),
  ip: Type.Optional(Address),
  expiresAt: Type.Optional(Expiry),
  attachedTo: Type.Optional(
    Type.Object(
      {
        kind: Type.String({
          enum: ['person', 'contact', 'device', 'application', 'preference'],
        }),
        type: Type.Optional(Type.String({ enum: ['email', 'phone'] })),
        value: Type.Optional(Text),
        id: Type.Optional(Text),
        topic: Type.Optional(Name),
        channel: Type.Optional(Name),
      },
      {
        description:
          'Default `{kind: "person"}`. `contact` takes `type` and `value`; `device` and ' +
          '`application` take `id`; `preference` takes `topic` and `channel`.',
      },
    ),
  ),
});

export const PreferenceBody = Type.Object({
  subscribed: Type.Boolean(),
  frequency: Type.Optional(
    Nullable(Type.String({ description: '`immediate`, `daily`, `weekly`, `monthly`, ...' })),
  ),
  expiresAt: Type.Optional(Expiry),
  source: Type.Optional(Type.String({ maxLength: 200, description: 'Default `api`.' })),
  actor: Type.Optional(Nullable(Text)),
  ip: Type.Optional(Address),
});

export const ConsentQuery = Type.Object({
  purpose: Type.Optional(Name),
  dataPoint: Type.Optional(
    Type.String({
      maxLength: 300,
      description:
        '`person`, `contact:email:<address>`, `contact:phone:<number>`, `device:<id>`, ' +
        '`application:<id>` or `preference:<topic>:<channel>`.',
    }),
  ),
});
export const PreferenceQuery = Type.Object({
  topic: Type.Optional(Name),
  channel: Type.Optional(Name),
});
export const Paging = {
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  cursor: Type.Optional(IdParam),
};
