import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger } from 'fastify';
import { prepareEvents } from '../../modules/events/event-intake.js';
import type { ProfileIngestService } from '../../modules/profiles/profile-ingest-service.js';
import { environmentOf } from '../../platform/auth.js';
import {
  eventOfCall,
  eventsOfBatch,
  MAX_BATCH_BYTES,
  SEGMENT_CALLS,
  type SegmentCall,
} from './segment-body.js';
import { BatchBody, CallBody, SuccessResponse } from './segment-schemas.js';

const SOURCE = 'segment';

/** The services the Segment surface translates to. */
export interface SegmentServices {
  ingest: ProfileIngestService;
}

const SUMMARIES: Record<SegmentCall, string> = {
  identify: 'Identify a user and set their traits',
  track: 'Record an action a user performed',
  page: 'Record a page view',
  screen: 'Record a screen view',
  group: 'Associate a user with a group',
  alias: 'Link a previous id to a user id',
};

type IngestOutcomes = Awaited<ReturnType<ProfileIngestService['ingestBatch']>>;

/**
 * Segment's answer to what the core did. The wire has no per-event answer, so events the core
 * refused for their identity (e.g. two known users) are acknowledged, logged by index and code
 * only, and left unapplied; when the core asks for a retry (profile overloaded) the request
 * answers 429 as a whole, and the retry's repeated messageIds are applied once.
 */
export function acknowledge(outcomes: IngestOutcomes, log: FastifyBaseLogger): { success: true } {
  for (const { error, indexes } of outcomes) {
    if (!error) continue;
    if (error.status === 429) throw error;
    log.warn({ code: error.code, indexes }, 'tracking events acknowledged but not applied');
  }
  return { success: true };
}

async function ingest(
  services: SegmentServices,
  environmentId: string,
  raws: unknown[],
  log: FastifyBaseLogger,
): Promise<{ success: true }> {
  const events = prepareEvents(raws, {
    receivedAt: Date.now(),
    requireProfileKey: true,
    rules: 'tracking',
  });
  const outcomes = await services.ingest.ingestBatch({ environmentId, source: SOURCE }, events);
  return acknowledge(outcomes, log);
}

/** `POST /v1/batch` and one `POST /v1/<call>` per Segment call; write keys only. */
export function trackingRoutes(services: SegmentServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    const common = {
      config: { scope: 'write' as const },
      bodyLimit: MAX_BATCH_BYTES,
    };
    app.post(
      '/batch',
      {
        ...common,
        schema: {
          summary: 'Send a batch of tracking calls (Segment / RudderStack SDKs)',
          tags: ['tracking'],
          body: BatchBody,
          response: { 200: SuccessResponse },
        },
      },
      async (request) =>
        ingest(services, environmentOf(request), eventsOfBatch(request.body), request.log),
    );

    for (const call of SEGMENT_CALLS) {
      app.post(
        `/${call}`,
        {
          ...common,
          schema: {
            summary: SUMMARIES[call],
            tags: ['tracking'],
            body: CallBody,
            response: { 200: SuccessResponse },
          },
        },
        async (request) =>
          ingest(
            services,
            environmentOf(request),
            [eventOfCall(call, request.body as Record<string, unknown>)],
            request.log,
          ),
      );
    }
  };
}
