import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ChangeEventType } from '../../modules/webhooks/change-types.js';
import type { WebhookService } from '../../modules/webhooks/webhook-service.js';
import { environmentOf } from '../../platform/auth.js';
import {
  ChangeEventPage,
  ChangeEventQuery,
  ChangeEventSchema,
  DeliveryLogQuery,
  DeliveryLogSchema,
  IdParams,
  presentAttempt,
  presentChangeEvent,
  presentSubscription,
  SubscriptionBody,
  SubscriptionPatch,
  SubscriptionSchema,
  SubscriptionWithSecret,
} from './webhook-schemas.js';

export interface WebhookRouteServices {
  webhooks: { service: WebhookService };
}

/**
 * Webhook subscriptions (admin scope) and the change-events API (read scope) of the caller's
 * environment. Secrets appear in the create and rotate answers only.
 */
export function webhookRoutes(services: WebhookRouteServices): FastifyPluginAsyncTypebox {
  const webhooks = services.webhooks.service;
  return async (app) => {
    const tags = ['webhooks'];
    app.post(
      '/webhooks',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'Subscribe a URL to change events; the signing secret is in this answer only',
          description:
            'Private, loopback, link-local and metadata addresses are refused (when saved and ' +
            'at every delivery). Deliveries follow Standard Webhooks: `webhook-id`, ' +
            '`webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`.',
          tags,
          body: SubscriptionBody,
          response: { 201: SubscriptionWithSecret },
        },
      },
      async (request, reply) => {
        const { subscription, secret } = await webhooks.create(environmentOf(request), {
          ...request.body,
          eventTypes: request.body.eventTypes as ChangeEventType[],
        });
        return reply.status(201).send({ ...presentSubscription(subscription), secret });
      },
    );

    app.get(
      '/webhooks',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'List the webhook subscriptions of this environment',
          tags,
          response: { 200: Type.Object({ data: Type.Array(SubscriptionSchema) }) },
        },
      },
      async (request) => ({
        data: (await webhooks.list(environmentOf(request))).map(presentSubscription),
      }),
    );

    app.get(
      '/webhooks/:id',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'One webhook subscription',
          tags,
          params: IdParams,
          response: { 200: SubscriptionSchema },
        },
      },
      async (request) =>
        presentSubscription(await webhooks.get(environmentOf(request), request.params.id)),
    );

    app.patch(
      '/webhooks/:id',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'Change the URL, event types or enabled state of a subscription',
          tags,
          params: IdParams,
          body: SubscriptionPatch,
          response: { 200: SubscriptionSchema },
        },
      },
      async (request) =>
        presentSubscription(
          await webhooks.update(environmentOf(request), request.params.id, {
            ...request.body,
            eventTypes: request.body.eventTypes as ChangeEventType[] | undefined,
          }),
        ),
    );

    app.delete(
      '/webhooks/:id',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'Delete a subscription with its pending deliveries and delivery log',
          tags,
          params: IdParams,
        },
      },
      async (request, reply) => {
        await webhooks.delete(environmentOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/webhooks/:id/rotate-secret',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'Issue a new signing secret; deliveries from now on are signed with it',
          tags,
          params: IdParams,
          response: { 200: SubscriptionWithSecret },
        },
      },
      async (request) => {
        const { subscription, secret } = await webhooks.rotateSecret(
          environmentOf(request),
          request.params.id,
        );
        return { ...presentSubscription(subscription), secret };
      },
    );

    app.get(
      '/webhooks/:id/deliveries',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'The delivery log of a subscription: each attempt, newest first',
          tags,
          params: IdParams,
          querystring: DeliveryLogQuery,
          response: { 200: DeliveryLogSchema },
        },
      },
      async (request) => {
        const page = await webhooks.deliveryLog(environmentOf(request), request.params.id, {
          before: request.query.before,
          limit: request.query.limit,
        });
        return { data: page.entries.map(presentAttempt), next: page.next };
      },
    );

    app.get(
      '/change-events',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'Change events, oldest first, filtered by subscription, profile or type',
          description:
            'Events are recorded while the environment has an enabled subscription that wants ' +
            'their type. Page with `after` (the `next` of the previous page).',
          tags,
          querystring: ChangeEventQuery,
          response: { 200: ChangeEventPage },
        },
      },
      async (request) => {
        const { subscriptionId, profileId, type, after, limit } = request.query;
        const page = await webhooks.listEvents({
          environmentId: environmentOf(request),
          subscriptionId,
          profileId,
          type,
          after,
          limit,
        });
        return { data: page.events.map(presentChangeEvent), next: page.next };
      },
    );

    app.get(
      '/change-events/:id',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'One change event',
          tags,
          params: IdParams,
          response: { 200: ChangeEventSchema },
        },
      },
      async (request) =>
        presentChangeEvent(await webhooks.getEvent(environmentOf(request), request.params.id)),
    );
  };
}
