import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { isAppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import type { ProfileRef } from '../../modules/profiles/profile-ref.js';
import { NinetailedError, namespaceMismatch, profileNotFound } from './ninetailed-errors.js';
import { profileEvents } from './ninetailed-events.js';
import { requestLocation, withLocation } from './ninetailed-location.js';
import { ok } from './ninetailed-presenter.js';
import {
  blankProfile,
  type NinetailedServices,
  SOURCE,
  withSelections,
} from './ninetailed-profiles.js';
import {
  MutationQuery,
  NO_CREDENTIAL,
  ProfileBody,
  ProfileParams,
  ReadQuery,
  TenantParams,
} from './ninetailed-schemas.js';
import { publicKeyOf, tenantOf } from './ninetailed-tenancy.js';

const tags = ['experience-api'];

type ProfileBodyType = { events: unknown[]; options?: { location?: unknown; features?: string[] } };

/**
 * Create and update: the request's events, with the request's location, applied to one profile,
 * answered with the profile and what it should see. `type=preflight` computes the same answer
 * and stores nothing.
 */
async function applyEvents(
  services: NinetailedServices,
  request: FastifyRequest & { body: ProfileBodyType; query: { type?: 'preflight' } },
  ref: ProfileRef,
) {
  const environmentId = tenantOf(request);
  const { body, query } = request;
  const raws = withLocation(body.events, requestLocation(body.options, request.headers));
  const events = profileEvents(raws, Date.now());
  const result = await services.ingest.ingestForProfile(
    {
      environmentId,
      source: SOURCE,
      preflight: query.type === 'preflight',
      publicKeyId: publicKeyOf(request),
    },
    ref,
    events,
  );
  if (!result.profile && result.suppressed > 0) {
    return ok(await withSelections(services, environmentId, blankProfile(environmentId)));
  }
  if (!result.profile) {
    throw profileNotFound(
      'No profile to answer with: every event was already applied, or belongs to an opted-out person.',
    );
  }
  return ok(await withSelections(services, environmentId, result.profile));
}

/**
 * Runs `work` for a profile id; when the id is not in this environment but exists in another,
 * the answer is the documented ERR_NAMESPACE_MISMATCH rather than ERR_PROFILE_NOT_FOUND. The
 * extra lookup happens on the error path only.
 */
async function forProfileId<T>(
  services: NinetailedServices,
  environmentId: string,
  profileId: string,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const notFound =
      (isAppError(error) && error.code === 'profile_not_found') ||
      (error instanceof NinetailedError && error.code === 'ERR_PROFILE_NOT_FOUND');
    if (notFound && (await services.queries.belongsElsewhere(environmentId, profileId)))
      throw namespaceMismatch();
    throw error;
  }
}

/** `POST|GET|DELETE …/profiles[/:profileId]`: the single-profile endpoints. */
export function profileRoutes(services: NinetailedServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    const base = '/organizations/:organizationId/environments/:environmentSlug/profiles';

    app.post(
      base,
      {
        config: { scope: 'public' },
        schema: {
          summary: 'Create a profile from events (Experience API v2)',
          description:
            'The events apply to a new profile (an anonymousId in them is ignored); a userId already known merges the new profile into that one.',
          tags,
          security: NO_CREDENTIAL,
          params: TenantParams,
          querystring: MutationQuery,
          body: ProfileBody,
        },
      },
      // The browser SDK sends no key at all: a new profile is the only possible target, and it
      // needs a key of its own for its write slot, so it is created under a fresh anonymousId.
      async (request) =>
        applyEvents(services, request, {
          kind: 'identifier',
          type: 'anonymousId',
          value: newId(),
        }),
    );

    app.post(
      `${base}/:profileId`,
      {
        config: { scope: 'public' },
        schema: {
          summary: 'Apply events to a profile (Experience API v2)',
          tags,
          security: NO_CREDENTIAL,
          params: ProfileParams,
          querystring: MutationQuery,
          body: ProfileBody,
        },
      },
      async (request) =>
        forProfileId(services, tenantOf(request), request.params.profileId, () =>
          applyEvents(services, request, { kind: 'id', id: request.params.profileId }),
        ),
    );

    app.get(
      `${base}/:profileId`,
      {
        config: { scope: 'public' },
        schema: {
          summary: 'Get a profile with its experiences (Experience API v2)',
          tags,
          security: NO_CREDENTIAL,
          params: ProfileParams,
          querystring: ReadQuery,
        },
      },
      async (request) => {
        const environmentId = tenantOf(request);
        return forProfileId(services, environmentId, request.params.profileId, async () => {
          const [state] = await services.queries.findProfiles(
            environmentId,
            { kind: 'id', id: request.params.profileId },
            publicKeyOf(request),
          );
          if (!state) throw profileNotFound();
          return ok(await withSelections(services, environmentId, state));
        });
      },
    );

    app.delete(
      `${base}/:profileId`,
      {
        config: { scope: 'public' },
        schema: {
          summary: 'Delete a profile, with everything merged into it (Experience API v2)',
          tags,
          security: NO_CREDENTIAL,
          params: ProfileParams,
        },
      },
      async (request) => {
        const environmentId = tenantOf(request);
        await forProfileId(services, environmentId, request.params.profileId, () =>
          services.queries.deleteProfile(
            environmentId,
            { kind: 'id', id: request.params.profileId },
            publicKeyOf(request),
          ),
        );
        return ok({});
      },
    );
  };
}
