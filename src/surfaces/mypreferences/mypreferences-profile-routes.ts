import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { IDENTIFIER_TYPES, type ProfileState } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import { prepareEvents } from '../../modules/events/event-intake.js';
import type { ProfileIngestService } from '../../modules/profiles/profile-ingest-service.js';
import type { ProfileQueryService } from '../../modules/profiles/profile-query-service.js';
import { parseProfileRef } from '../../modules/profiles/profile-ref.js';
import { environmentOf } from '../../platform/auth.js';

export interface MyPreferencesServices {
  ingest: ProfileIngestService;
  queries: ProfileQueryService;
}

const SOURCE = 'mypreferences';

/** A profile as the MyPreferences dialect shows it. */
export function presentMyPreferencesProfile(state: ProfileState) {
  return {
    ProfileId: state.id,
    AlternateIds: state.identifiers.map((i) => ({ Type: i.type, Value: i.value })),
    Traits: state.traits,
    CreatedDate: new Date(state.metadata.createdAt).toISOString(),
    ModifiedDate: new Date(state.metadata.updatedAt).toISOString(),
  };
}

const AlternateId = Type.Object({
  Type: Type.String({ enum: [...IDENTIFIER_TYPES] }),
  Value: Type.String({ minLength: 1, maxLength: 200 }),
});

const ClientParams = Type.Object({ clientId: Type.String({ minLength: 1, maxLength: 200 }) });

/** Reading and upserting profiles under `/Profiles/v4/{ClientId}/Profiles`. */
export function profileRoutes(services: MyPreferencesServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/Profiles/v4/:clientId/Profiles/:profileId',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'MyPreferences: retrieve a profile by ProfileId or `Type:Value` alternate id',
          tags: ['mypreferences'],
          params: Type.Object({
            clientId: ClientParams.properties.clientId,
            profileId: Type.String({ maxLength: 260 }),
          }),
        },
      },
      async (request) => {
        const profiles = await services.queries.findProfiles(
          environmentOf(request),
          parseProfileRef(request.params.profileId),
        );
        if (profiles.length === 0) throw new AppError('profile_not_found');
        return profiles.length === 1
          ? presentMyPreferencesProfile(profiles[0]!)
          : { Profiles: profiles.map(presentMyPreferencesProfile) };
      },
    );

    app.post(
      '/Profiles/v4/:clientId/Profiles',
      {
        config: { scope: 'write' },
        schema: {
          summary:
            'MyPreferences: create or update a profile named by its first unique alternate id',
          tags: ['mypreferences'],
          params: ClientParams,
          body: Type.Object({
            AlternateIds: Type.Array(AlternateId, { minItems: 1, maxItems: 20 }),
            Traits: Type.Optional(Type.Object({}, { additionalProperties: true })),
          }),
        },
      },
      async (request) => {
        const { AlternateIds, Traits } = request.body;
        const [first, ...others] = AlternateIds;
        const event = {
          type: 'identify',
          traits: Traits ?? {},
          ...(first!.Type === 'userId' ? { userId: first!.Value } : {}),
        };
        const extra = others.filter((o) => o.Type === 'userId' || o.Type === 'anonymousId');
        for (const other of extra) Object.assign(event, { [other.Type]: other.Value });
        const events = prepareEvents([event], { receivedAt: Date.now(), requireProfileKey: false });
        const result = await services.ingest.ingestForProfile(
          { environmentId: environmentOf(request), source: SOURCE },
          {
            kind: 'identifier',
            type: first!.Type as (typeof IDENTIFIER_TYPES)[number],
            value: first!.Value,
          },
          events,
        );
        return presentMyPreferencesProfile(result.profile!);
      },
    );
  };
}
