import { Type } from 'typebox';
import { IdParam } from '../../lib/ids.js';
import type { ChangeEvent } from '../../modules/webhooks/change-event-store.js';
import { CHANGE_EVENT_TYPES } from '../../modules/webhooks/change-types.js';
import type { DeliveryLogEntry, Subscription } from '../../modules/webhooks/webhook-service.js';
import { iso } from './native-presenters.js';

/** Route schemas and presenters of the webhooks and change-events routes. */
const Time = Type.String({ format: 'date-time' });
export const EventType = Type.String({ enum: [...CHANGE_EVENT_TYPES] });

export const SubscriptionBody = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 2000,
      description: 'http(s) URL of the receiver.',
    }),
    eventTypes: Type.Array(EventType, { minItems: 1, uniqueItems: true }),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

export const SubscriptionPatch = Type.Object(
  {
    url: Type.Optional(SubscriptionBody.properties.url),
    eventTypes: Type.Optional(SubscriptionBody.properties.eventTypes),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const SubscriptionSchema = Type.Object({
  id: Type.String(),
  url: Type.String(),
  eventTypes: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  disabledReason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Time,
  updatedAt: Time,
});

export const SubscriptionWithSecret = Type.Object({
  ...SubscriptionSchema.properties,
  secret: Type.String({ description: 'Signing secret (`whsec_…`); shown in this answer only.' }),
});

export const IdParams = Type.Object({ id: IdParam });

export const DeliveryLogQuery = Type.Object({
  before: Type.Optional(IdParam),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
});

export const DeliveryLogSchema = Type.Object({
  data: Type.Array(
    Type.Object({
      id: Type.String(),
      deliveryId: Type.String(),
      changeEventId: Type.String(),
      eventType: Type.String(),
      attempt: Type.Integer(),
      attemptedAt: Time,
      statusCode: Type.Union([Type.Integer(), Type.Null()]),
      durationMs: Type.Integer(),
      error: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  next: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as `before` for older attempts.',
  }),
});

export const ChangeEventQuery = Type.Object({
  subscriptionId: Type.Optional(IdParam),
  profileId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  type: Type.Optional(EventType),
  after: Type.Optional(IdParam),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
});

export const ChangeEventSchema = Type.Object({
  id: Type.String({ description: 'Also the `webhook-id` of its deliveries.' }),
  type: Type.String(),
  profileId: Type.Union([Type.String(), Type.Null()]),
  occurredAt: Time,
  data: Type.Object({}, { additionalProperties: true }),
});

export const ChangeEventPage = Type.Object({
  data: Type.Array(ChangeEventSchema),
  next: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `after`.' }),
});

export function presentSubscription(s: Subscription) {
  return {
    id: s.id,
    url: s.url,
    eventTypes: s.eventTypes,
    enabled: s.enabled,
    disabledReason: s.disabledReason,
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
  };
}

export function presentAttempt(e: DeliveryLogEntry) {
  return { ...e, attemptedAt: iso(e.attemptedAt) };
}

export function presentChangeEvent(e: ChangeEvent) {
  return {
    id: e.id,
    type: e.type,
    profileId: e.profileId,
    occurredAt: iso(e.occurredAt),
    data: e.payload,
  };
}
