import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors/app-error.js';
import { IdParam } from '../../lib/ids.js';
import { parseProfileRef } from '../../modules/profiles/profile-ref.js';
import type { ChangeEvent } from '../../modules/webhooks/change-event-store.js';
import { CHANGE_EVENT_TYPES } from '../../modules/webhooks/change-types.js';
import type { WebhookService } from '../../modules/webhooks/webhook-service.js';
import { environmentOf } from '../../platform/auth.js';
import { findProfilesByRef, type MyPreferencesServices } from './mypreferences-profile-routes.js';

export interface MyPreferencesEventServices extends MyPreferencesServices {
  webhooks: { service: WebhookService };
}

/** A change event as the MyPreferences dialect shows it. */
function presentEvent(e: ChangeEvent) {
  return {
    EventId: e.id,
    EventType: e.type,
    ProfileId: e.profileId,
    OccurredDate: new Date(e.occurredAt).toISOString(),
    Data: e.payload,
  };
}

const ClientId = Type.String({ minLength: 1, maxLength: 200 });
const PageQuery = Type.Object({
  EventType: Type.Optional(Type.String({ enum: [...CHANGE_EVENT_TYPES] })),
  After: Type.Optional(IdParam),
  Limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
});
const EventSchema = Type.Object({
  EventId: Type.String(),
  EventType: Type.String(),
  ProfileId: Type.Union([Type.String(), Type.Null()]),
  OccurredDate: Type.String({ format: 'date-time' }),
  Data: Type.Object({}, { additionalProperties: true }),
});
const EventPage = Type.Object({
  Events: Type.Array(EventSchema),
  NextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `After`.' }),
});

/**
 * The 004 document's Events API: the change events of the webhook subscriptions, by account
 * (the ClientId's environment), subscription, profile, or event id. Read scope.
 */
export function eventRoutes(services: MyPreferencesEventServices): FastifyPluginAsyncTypebox {
  const webhooks = services.webhooks.service;
  const tags = ['mypreferences'];
  return async (app) => {
    const page = async (
      environmentId: string,
      query: { EventType?: string; After?: string; Limit: number },
      filter: { subscriptionId?: string; profileId?: string },
    ) => {
      const result = await webhooks.listEvents({
        environmentId,
        ...filter,
        type: query.EventType,
        after: query.After,
        limit: query.Limit,
      });
      return { Events: result.events.map(presentEvent), NextCursor: result.next };
    };

    app.get(
      '/Profiles/v4/:clientId/Events',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'MyPreferences: events of the account, oldest first',
          tags,
          params: Type.Object({ clientId: ClientId }),
          querystring: PageQuery,
          response: { 200: EventPage },
        },
      },
      async (request) => page(environmentOf(request), request.query, {}),
    );

    app.get(
      '/Profiles/v4/:clientId/Events/:eventId',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'MyPreferences: one event by EventId',
          tags,
          params: Type.Object({ clientId: ClientId, eventId: IdParam }),
          response: { 200: EventSchema },
        },
      },
      async (request) =>
        presentEvent(await webhooks.getEvent(environmentOf(request), request.params.eventId)),
    );

    app.get(
      '/Profiles/v4/:clientId/Subscriptions/:subscriptionId/Events',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'MyPreferences: events sent to one webhook subscription',
          tags,
          params: Type.Object({ clientId: ClientId, subscriptionId: IdParam }),
          querystring: PageQuery,
          response: { 200: EventPage },
        },
      },
      async (request) =>
        page(environmentOf(request), request.query, {
          subscriptionId: request.params.subscriptionId,
        }),
    );

    app.get(
      '/Profiles/v4/:clientId/Profiles/:profileId/Events',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'MyPreferences: events of one profile (ProfileId or `Type:Value` alternate id)',
          tags,
          params: Type.Object({ clientId: ClientId, profileId: Type.String({ maxLength: 260 }) }),
          querystring: PageQuery,
          response: { 200: EventPage },
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const param = request.params.profileId;
        // A ProfileId is taken as is (a deleted profile's events are still readable); any other
        // reference is read as the profile GET reads it, alternate ids included.
        const bare = !param.includes(':') || param.startsWith('id:');
        const ref = bare ? parseProfileRef(param) : undefined;
        let profileId = ref?.kind === 'id' ? ref.id : undefined;
        if (profileId === undefined) {
          const found = await findProfilesByRef(services, environmentId, param);
          if (found.length !== 1) throw new AppError('profile_not_found');
          profileId = found[0]!.id;
        }
        return page(environmentId, request.query, { profileId });
      },
    );
  };
}
