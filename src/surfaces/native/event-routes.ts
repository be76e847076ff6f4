import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors/app-error.js';
import { prepareEvents } from '../../modules/events/event-intake.js';
import { parseProfileRef } from '../../modules/profiles/profile-ref.js';
import { environmentOf } from '../../platform/auth.js';
import type { NativeServices } from './native-context.js';
import { presentProfile } from './native-presenters.js';
import {
  EventsBody,
  IngestResponse,
  ProfileIngestResponse,
  plainJson,
  RefParams,
} from './native-schemas.js';

const SOURCE = 'native';

/** `POST /v1/events` (each event names its profile) and `POST /v1/profiles/{ref}/events`. */
export function eventRoutes(services: NativeServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/events',
      {
        config: { scope: 'write' },
        schema: {
          summary:
            'Ingest a batch of events; each names its profile by profileId, userId or anonymousId',
          tags: ['events'],
          body: EventsBody,
          response: { 200: IngestResponse },
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const events = prepareEvents(request.body.events, {
          receivedAt: Date.now(),
          requireProfileKey: true,
        });
        const outcomes = await services.ingest.ingestBatch(
          { environmentId, source: SOURCE },
          events,
        );
        const response = {
          accepted: 0,
          duplicates: 0,
          suppressed: 0,
          profileIds: [] as string[],
          rejected: [] as Array<{ index: number; code: string; message: string }>,
        };
        for (const outcome of outcomes) {
          if (outcome.error) {
            for (const index of outcome.indexes) {
              response.rejected.push({
                index,
                code: outcome.error.code,
                message: outcome.error.message,
              });
            }
            continue;
          }
          const result = outcome.result!;
          response.accepted += result.applied;
          response.duplicates += result.duplicates;
          response.suppressed += result.suppressed;
          if (result.profile && !response.profileIds.includes(result.profile.id))
            response.profileIds.push(result.profile.id);
        }
        response.rejected.sort((a, b) => a.index - b.index);
        return response;
      },
    );

    app.post(
      '/profiles/:ref/events',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Apply events to one profile and answer the updated profile',
          description:
            'A reference that nobody holds creates the profile (an email or phone held by several answers 409). ' +
            'With `preflight=true` everything is computed and nothing is stored.',
          tags: ['events'],
          params: RefParams,
          querystring: Type.Object({ preflight: Type.Boolean({ default: false }) }),
          body: EventsBody,
          response: { 200: ProfileIngestResponse },
        },
        serializerCompiler: plainJson,
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const ref = parseProfileRef(request.params.ref);
        const events = prepareEvents(request.body.events, {
          receivedAt: Date.now(),
          requireProfileKey: false,
        });
        const result = await services.ingest.ingestForProfile(
          { environmentId, source: SOURCE, preflight: request.query.preflight },
          ref,
          events,
        );
        // Only duplicates, addressed to a profile that does not exist (any more).
        if (!result.profile && result.suppressed === 0) throw new AppError('profile_not_found');
        return {
          profile: result.profile && presentProfile(result.profile),
          accepted: result.applied,
          duplicates: result.duplicates,
          suppressed: result.suppressed,
        };
      },
    );
  };
}
