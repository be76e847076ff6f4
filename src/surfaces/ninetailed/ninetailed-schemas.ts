import { Type } from 'typebox';

/**
 * Route schemas of the Experience API v2. They bound the envelope only (and document it at
 * /openapi.json); each event is checked by the engine, like every other dialect's, so that a
 * refused event is named by its index and field.
 */

/** The document's batch limits. */
export const MAX_EVENTS = 200;
/**
 * The events of one create or update call. The document caps only the batch; the browser SDK
 * sends every event queued since its last call in one request, with no cap of its own (and
 * drops them all when the request fails), so this one is generous: the body size limit
 * usually comes first.
 */
export const MAX_PROFILE_EVENTS = 2_000;
export const MAX_BATCH_IDENTIFY = 50;
export const MAX_BATCH_PROFILES = 50;

/** OpenAPI `security` of every route here: the SDKs send no credential (open public access). */
export const NO_CREDENTIAL: Array<Record<string, string[]>> = [];

const Slug = Type.String({ minLength: 1, maxLength: 200 });

export const TenantParams = Type.Object({
  organizationId: Type.String({
    minLength: 1,
    maxLength: 200,
    description: "The organization's slug (`default` unless you created another).",
  }),
  environmentSlug: Slug,
});

export const ProfileParams = Type.Object({
  organizationId: TenantParams.properties.organizationId,
  environmentSlug: Slug,
  profileId: Type.String({ minLength: 1, maxLength: 200, description: "Tessera's profile id." }),
});

const Locale = Type.Optional(
  Type.String({
    maxLength: 35,
    description: 'An ISO 639-1 language code (accepted; experiences do not depend on it yet).',
  }),
);

/** `type=preflight`: compute everything, store nothing. Other keys are ignored (cache busters). */
export const MutationQuery = Type.Object(
  { locale: Locale, type: Type.Optional(Type.Literal('preflight')) },
  { additionalProperties: true },
);

export const ReadQuery = Type.Object({ locale: Locale }, { additionalProperties: true });

const GeoLocation = Type.Object(
  {},
  {
    additionalProperties: true,
    description:
      'GeoLocation (city, region, countryCode, coordinates, …): used for the events that carry no context.location.',
  },
);

const Options = Type.Object(
  {
    location: Type.Optional(GeoLocation),
    features: Type.Optional(
      Type.Array(Type.String({ maxLength: 50 }), {
        maxItems: 10,
        description:
          '`location` reads Cloudflare visitor-location headers when present; `ip-enrichment` is accepted and ignored.',
      }),
    ),
  },
  { additionalProperties: true },
);

const Events = Type.Array(Type.Unknown(), {
  minItems: 1,
  maxItems: MAX_PROFILE_EVENTS,
  description: 'page, track, identify, screen and component events.',
});

export const ProfileBody = Type.Object(
  { events: Events, options: Type.Optional(Options) },
  { additionalProperties: true },
);

export const BatchBody = Type.Object(
  {
    events: Type.Array(Type.Unknown(), {
      minItems: 1,
      maxItems: MAX_EVENTS,
      description: `Each event carries its profile's anonymousId; at most ${MAX_BATCH_IDENTIFY} identify events and ${MAX_BATCH_PROFILES} profiles.`,
    }),
    // The SDKs always send `options`; the batch endpoints have none, so it is ignored.
    options: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: true },
);
