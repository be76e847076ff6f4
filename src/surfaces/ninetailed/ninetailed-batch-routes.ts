import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../errors/app-error.js';
import { batchGroups } from './ninetailed-events.js';
import { ok } from './ninetailed-presenter.js';
import {
  IMPORT_JOB,
  type ImportPayload,
  importRunner,
  type NinetailedServices,
  upsertBatch,
} from './ninetailed-profiles.js';
import {
  BatchBody,
  MutationQuery,
  NO_CREDENTIAL,
  ReadQuery,
  TenantParams,
} from './ninetailed-schemas.js';
import { publicKeyOf, tenantOf } from './ninetailed-tenancy.js';

const tags = ['experience-api'];

/**
 * `POST …/events` (synchronous batch upsert) and `POST …/import/events` (the same body, applied
 * later from the durable job queue).
 */
export function batchRoutes(services: NinetailedServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    const base = '/organizations/:organizationId/environments/:environmentSlug';
    // The payload is the people's events: emptied once applied (see JobQueue.register).
    services.jobs.register(IMPORT_JOB, importRunner(services, app.log), { personalPayload: true });

    app.post(
      `${base}/events`,
      {
        config: { scope: 'public' },
        schema: {
          summary: 'Upsert up to 50 profiles from up to 200 events, keyed by anonymousId',
          description:
            'An anonymousId that is a Tessera profile id names that profile; else a userId names its owner; else the profile holding that anonymousId, created when nobody does. Answers the profiles, without experiences.',
          tags,
          security: NO_CREDENTIAL,
          params: TenantParams,
          querystring: MutationQuery,
          body: BatchBody,
        },
      },
      async (request) => {
        const environmentId = tenantOf(request);
        const groups = batchGroups(request.body.events, Date.now());
        const preflight = request.query.type === 'preflight';
        const { profiles, refused } = await upsertBatch(
          services,
          environmentId,
          groups,
          request.log,
          preflight,
          publicKeyOf(request),
        );
        // The wire has one profile per anonymousId and no per-profile error: a profile left out
        // is an error of the call (the Node SDK sends one profile and expects one back), which
        // says that the others were applied, so that a retry is safe (messageIds apply once).
        if (refused.length > 0) {
          const [first] = refused;
          throw new AppError(
            first!.code,
            `${refused.length} of ${groups.length} profiles refused (${first!.message}); the others were applied.`,
          );
        }
        return ok({ profiles });
      },
    );

    app.post(
      `${base}/import/events`,
      {
        config: { scope: 'public', acceptUnknownTenant: true },
        schema: {
          summary: 'Accept a batch for background processing (answers at once)',
          description:
            'Same body and limits as the batch upsert. Invalid events are refused at once (400); an unknown organization or environment is acknowledged and dropped, as documented.',
          tags,
          security: NO_CREDENTIAL,
          params: TenantParams,
          querystring: ReadQuery,
          body: BatchBody,
        },
      },
      async (request) => {
        // Validated now, so a bad batch is reported to its sender instead of failing unseen,
        // and its generated messageIds are fixed before any attempt runs.
        const groups = batchGroups(request.body.events, Date.now());
        const environmentId = request.ninetailedEnvironmentId;
        if (environmentId) {
          const publicKeyId = publicKeyOf(request);
          const payload: ImportPayload = publicKeyId ? { groups, publicKeyId } : { groups };
          await services.jobs.enqueue(environmentId, IMPORT_JOB, payload);
        } else {
          request.log.info('import for an unknown organization or environment dropped');
        }
        return ok({ message: 'Events accepted.' });
      },
    );
  };
}
