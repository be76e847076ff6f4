import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { JsonObject, ProfileState } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import type { ProfileQueryService } from '../../modules/profiles/profile-query-service.js';
import { environmentOf } from '../../platform/auth.js';
import {
  type MarketingChannelView,
  presentEvent,
  presentMeta,
  presentTraits,
} from './profiles-read-presenters.js';
import {
  decodeScrollId,
  encodeScrollId,
  parseEventsWindow,
  parseProfileId,
  readEvents,
} from './profiles-read-query.js';
import { EventsQuery, ListQuery, ProfileParams, TripleParams } from './profiles-read-schemas.js';

export interface ProfilesReadQueries {
  queries: ProfileQueryService;
  consents: {
    marketingChannels(
      environmentId: string,
      profile: ProfileState,
    ): Promise<MarketingChannelView[]>;
  };
}

const BASE = '/:clientId/:accountId/:brandId/v1/profiles';
const TAGS = ['profiles-read'];

/**
 * One customer as a single object; a shared email (or phone) naming several as `{data: [...]}`.
 * The document: "For searching by email, as multiple customer records can have the same email
 * … an array of results in the data field are returned", with a "single" and a "multiple"
 * sample: the array is used when there is more than one customer to return.
 */
function oneOrMany(profiles: ProfileState[], present: (s: ProfileState, i: number) => JsonObject) {
  if (profiles.length === 0) throw new AppError('profile_not_found');
  return profiles.length === 1 ? present(profiles[0]!, 0) : { data: profiles.map(present) };
}

/** Presents profiles with their marketing channels (one preference read per profile). */
async function presentAll(
  services: ProfilesReadQueries,
  environmentId: string,
  profiles: ProfileState[],
  present: (state: ProfileState, channels: MarketingChannelView[]) => JsonObject,
): Promise<JsonObject[]> {
  const channels = await Promise.all(
    profiles.map((p) => services.consents.marketingChannels(environmentId, p)),
  );
  return profiles.map((p, i) => present(p, channels[i]!));
}

/** The profiles read API's routes, below `/track` (see profiles-read-surface.ts). */
export function profilesReadRoutes(services: ProfilesReadQueries): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      BASE,
      {
        config: { scope: 'read' },
        schema: {
          summary: 'Profiles read API: list customers, 100 at a time, with a scrollId',
          description:
            "Pass the answer's `scrollId` as `?scrollid=` for the next page. Every page with data " +
            'carries a scrollId; the end is a page with `data: []` and no scrollId.',
          tags: TAGS,
          params: TripleParams,
          querystring: ListQuery,
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const scrollId = request.query.scrollid ?? request.query.scrollId;
        const after = scrollId === undefined ? null : decodeScrollId(scrollId, environmentId);
        const profiles = await services.queries.listProfiles(
          environmentId,
          after,
          request.query.size,
        );
        const last = profiles.at(-1);
        // Clients loop "while data is returned": the empty page ends the scroll.
        return last
          ? {
              scrollId: encodeScrollId(environmentId, last.id),
              data: await presentAll(services, environmentId, profiles, presentTraits),
            }
          : { data: [] };
      },
    );

    app.get(
      `${BASE}/:profileId/traits`,
      {
        config: { scope: 'read' },
        schema: {
          summary: "Profiles read API: a customer's traits (`{data: [...]}` for a shared email)",
          tags: TAGS,
          params: ProfileParams,
        },
      },
      async (request) => {
        const ref = parseProfileId(request.params.profileId);
        const environmentId = environmentOf(request);
        const profiles = await services.queries.findProfiles(environmentId, ref);
        const presented = await presentAll(services, environmentId, profiles, presentTraits);
        return oneOrMany(profiles, (_, i) => presented[i]!);
      },
    );

    for (const endpoint of ['meta', 'metadata']) {
      app.get(
        `${BASE}/:profileId/${endpoint}`,
        {
          config: { scope: 'read' },
          schema: {
            summary: `Profiles read API: a customer's metadata (\`/${endpoint}\`)`,
            tags: TAGS,
            params: ProfileParams,
          },
        },
        async (request) => {
          const ref = parseProfileId(request.params.profileId);
          const environmentId = environmentOf(request);
          const profiles = await services.queries.findProfiles(environmentId, ref);
          const presented = await presentAll(services, environmentId, profiles, presentMeta);
          return oneOrMany(profiles, (_, i) => presented[i]!);
        },
      );
    }

    app.get(
      `${BASE}/:profileId/events`,
      {
        config: { scope: 'read' },
        schema: {
          summary: "Profiles read API: a customer's events, filtered, paged by from/size",
          description: 'A shared email answers the events of every customer with it, in one list.',
          tags: TAGS,
          params: ProfileParams,
          querystring: EventsQuery,
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const ref = parseProfileId(request.params.profileId);
        const window = parseEventsWindow(request.query);
        const profiles = await services.queries.findProfiles(environmentId, ref);
        if (profiles.length === 0) throw new AppError('profile_not_found');
        const events = await readEvents(services.queries, environmentId, profiles, window);
        const { clientId, accountId, brandId } = request.params;
        return {
          data: events.map((e) =>
            presentEvent(e.stored, e.owner, { clientId, accountId, brandId }),
          ),
        };
      },
    );
  };
}
