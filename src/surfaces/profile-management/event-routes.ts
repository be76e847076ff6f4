import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { normalizeAction } from '../../engine/action-name.js';
import { AppError } from '../../errors/app-error.js';
import type { StoredEvent } from '../../modules/events/event-store.js';
import { environmentOf } from '../../platform/auth.js';
import { iso } from '../native/native-presenters.js';
import { refOfClient } from './client-mapping.js';
import { ClientIdParams } from './client-schemas.js';
import { applyBatch } from './event-batch.js';
import {
  CustomEventBody,
  type EventInput,
  PREDEFINED_EVENTS,
  PredefinedEventBody,
  rawEvent,
  rawTransaction,
  TransactionBody,
  type TransactionInput,
} from './event-mapping.js';
import {
  type ProfileManagementServices,
  prepare,
  SOURCE,
  TAGS,
} from './profile-management-context.js';
import { errorResponses } from './profile-management-errors.js';

const Accepted = Type.Object({
  clientId: Type.Union([Type.String(), Type.Null()], {
    description: 'null when the person opted out: the event was dropped',
  }),
  accepted: Type.Integer(),
  duplicates: Type.Integer(),
  suppressed: Type.Integer(),
});
const BatchAccepted = Type.Object({
  accepted: Type.Integer(),
  duplicates: Type.Integer(),
  suppressed: Type.Integer(),
  rejected: Type.Array(
    Type.Object({ index: Type.Integer(), status: Type.Integer(), message: Type.String() }),
  ),
});
const MAX_BATCH = 1000;

/** A stored event as the 001 API shows it. */
function presentEvent(stored: StoredEvent) {
  const { label, ...params } = (stored.event.properties ?? {}) as Record<string, unknown>;
  return {
    eventId: stored.id,
    clientId: stored.profileId,
    action: stored.event.name ?? stored.event.action,
    label: typeof label === 'string' ? label : null,
    time: iso(stored.event.timestamp),
    eventSalt: stored.event.messageId,
    params,
  };
}

/** Events and transactions (`/v4/events…`, `/v4/transactions…`, `/v4/server/time`). */
export function eventRoutes(services: ProfileManagementServices): FastifyPluginAsyncTypebox {
  const one = async (environmentId: string, body: EventInput, raw: unknown) => {
    const ref = refOfClient(body.client);
    const events = prepare([raw]);
    const result = await services.ingest.ingestForProfile(
      { environmentId, source: SOURCE },
      ref,
      events,
    );
    // Acknowledged and dropped for an opted-out person (there is no profile to name); only
    // duplicates for a profile that does not exist (any more) are a 404.
    if (!result.profile && result.suppressed === 0) {
      throw new AppError(
        'profile_not_found',
        // A new client whose only event repeats a recorded one (an order is recorded once per
        // environment, whoever sends it again): say so, rather than only "not found".
        'No such client, and the event repeats one already recorded (its eventSalt or orderId), so it created none.',
      );
    }
    return {
      clientId: result.profile?.id ?? null,
      accepted: result.applied,
      duplicates: result.duplicates,
      suppressed: result.suppressed,
    };
  };
  const many = (environmentId: string, bodies: EventInput[], raws: unknown[]) => {
    const refs = bodies.map((b) => refOfClient(b.client));
    const events = prepare(raws);
    return applyBatch(
      services,
      environmentId,
      events.map((event, i) => ({ ref: refs[i]!, event })),
    );
  };

  return async (app) => {
    // One table, one handler: each predefined path records its own action.
    for (const [path, { action, summary }] of Object.entries(PREDEFINED_EVENTS)) {
      app.post(
        `/events/${path}`,
        {
          config: { scope: 'write' },
          schema: {
            summary,
            description: `Recorded as a \`track\` event named \`${action}\`.`,
            tags: TAGS,
            body: PredefinedEventBody,
            response: { 202: Accepted, ...errorResponses },
          },
        },
        async (request, reply) => {
          const body = request.body as EventInput;
          const result = await one(environmentOf(request), body, rawEvent(body, action));
          return reply.status(202).send(result);
        },
      );
    }

    app.post(
      '/events/custom',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Custom event (the action comes from the body)',
          tags: TAGS,
          body: CustomEventBody,
          response: { 202: Accepted, ...errorResponses },
        },
      },
      async (request, reply) => {
        const body = request.body as EventInput & { action: string };
        return reply
          .status(202)
          .send(await one(environmentOf(request), body, rawEvent(body, body.action)));
      },
    );

    app.post(
      '/events/batch',
      {
        config: { scope: 'write' },
        schema: {
          summary: `Batch send events (up to ${MAX_BATCH}; each with its action)`,
          description:
            'All events are validated first (one bad event: 400, nothing applied). Events of a ' +
            'profile the core refuses (unknown clientId, shared email) are listed in `rejected`.',
          tags: TAGS,
          body: Type.Array(CustomEventBody, { minItems: 1, maxItems: MAX_BATCH }),
          response: { 202: BatchAccepted, ...errorResponses },
        },
      },
      async (request, reply) => {
        const bodies = request.body as Array<EventInput & { action: string }>;
        const raws = bodies.map((b) => rawEvent(b, b.action));
        return reply.status(202).send(await many(environmentOf(request), bodies, raws));
      },
    );

    app.post(
      '/transactions',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Create a transaction',
          description:
            'Recorded as a `transaction.charge` event; the orderId (or eventSalt) makes it idempotent.',
          tags: TAGS,
          body: TransactionBody,
          response: { 202: Accepted, ...errorResponses },
        },
      },
      async (request, reply) => {
        const body = request.body as TransactionInput;
        return reply
          .status(202)
          .send(await one(environmentOf(request), body, rawTransaction(body)));
      },
    );

    app.post(
      '/transactions/batch',
      {
        config: { scope: 'write' },
        schema: {
          summary: `Batch add transactions (up to ${MAX_BATCH})`,
          description:
            'An orderId already recorded is acknowledged as a duplicate, not applied again.',
          tags: TAGS,
          body: Type.Array(TransactionBody, { minItems: 1, maxItems: MAX_BATCH }),
          response: { 202: BatchAccepted, ...errorResponses },
        },
      },
      async (request, reply) => {
        const bodies = request.body as TransactionInput[];
        return reply
          .status(202)
          .send(await many(environmentOf(request), bodies, bodies.map(rawTransaction)));
      },
    );

    app.get(
      '/events/by-client/:clientId',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'Get Profile events as Workspace (deprecated, still served)',
          description: 'Newest first, including the events of profiles merged into it.',
          tags: TAGS,
          deprecated: true,
          params: ClientIdParams,
          querystring: Type.Object({
            limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
            action: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          }),
          response: {
            200: Type.Array(Type.Object({}, { additionalProperties: true })),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const { limit, action } = request.query;
        const events = await services.queries.listEvents(
          environmentOf(request),
          { kind: 'id', id: request.params.clientId },
          { order: 'desc', limit, include: action ? [normalizeAction(action)] : undefined },
        );
        return events.map(presentEvent);
      },
    );

    app.get(
      '/server/time',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'Get server time',
          description: 'For clients that correct their own clock before sending `time`.',
          tags: TAGS,
          response: {
            200: Type.Object({
              serverTime: Type.String({ format: 'date-time' }),
              timestamp: Type.Integer(),
            }),
          },
        },
      },
      async () => {
        const now = Date.now();
        return { serverTime: iso(now), timestamp: now };
      },
    );
  };
}
