import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isIdentifierType, type ProfileState } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import type { AnnotationServices } from '../../modules/annotations/annotations-module.js';
import type { ProfileQueryService } from '../../modules/profiles/profile-query-service.js';
import { parseProfileRef } from '../../modules/profiles/profile-ref.js';
import { environmentOf } from '../../platform/auth.js';
import { presentWithExtras } from './mypreferences-profile-presenter.js';
import {
  ProfileBodySchema,
  ProfileListSchema,
  ProfileSchema,
  plainJson,
} from './mypreferences-profile-schemas.js';

export { presentMyPreferencesProfile } from './mypreferences-profile-presenter.js';

/** The source profiles written through this dialect are recorded with. */
const SOURCE = 'mypreferences';

export interface MyPreferencesServices {
  queries: ProfileQueryService;
  annotations: AnnotationServices;
}

export const ClientParams = Type.Object({
  clientId: Type.String({ minLength: 1, maxLength: 200 }),
});

/**
 * The live profiles a path reference names: a ProfileId, a Tessera identifier (`email:…`), or
 * an alternate id of another system (`CRM:123`).
 */
export async function findProfilesByRef(
  services: MyPreferencesServices,
  environmentId: string,
  ref: string,
): Promise<ProfileState[]> {
  const colon = ref.indexOf(':');
  const type = ref.slice(0, colon);
  if (colon > 0 && type !== 'id' && !isIdentifierType(type)) {
    const value = ref.slice(colon + 1);
    if (value.length === 0) throw new AppError('invalid_reference');
    const id = await services.annotations.alternateIds.findProfileId(environmentId, {
      type,
      value,
    });
    return id ? services.queries.findProfiles(environmentId, { kind: 'id', id }) : [];
  }
  return services.queries.findProfiles(environmentId, parseProfileRef(ref));
}

/** Reading and upserting profiles under `/Profiles/v4/{ClientId}/Profiles`. */
export function profileRoutes(services: MyPreferencesServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/Profiles/v4/:clientId/Profiles/:profileId',
      {
        config: { scope: 'read' },
        serializerCompiler: plainJson,
        schema: {
          summary:
            'MyPreferences: retrieve a profile by ProfileId, `Type:Value` identifier or alternate id',
          description:
            'A shared email or phone may name several profiles: they come back as `{"Profiles": [...]}`.',
          tags: ['mypreferences'],
          params: Type.Object({
            clientId: ClientParams.properties.clientId,
            profileId: Type.String({ maxLength: 260 }),
          }),
          response: { 200: Type.Union([ProfileSchema, ProfileListSchema]) },
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const profiles = await findProfilesByRef(services, environmentId, request.params.profileId);
        if (profiles.length === 0) throw new AppError('profile_not_found');
        const presented = await Promise.all(
          profiles.map((p) => presentWithExtras(services.annotations, environmentId, p)),
        );
        return presented.length === 1 ? presented[0]! : { Profiles: presented };
      },
    );

    app.post(
      '/Profiles/v4/:clientId/Profiles',
      {
        config: { scope: 'write' },
        serializerCompiler: plainJson,
        schema: {
          summary:
            'MyPreferences: create or update a profile named by its first alternate id, with its tags, custom fields and groups',
          tags: ['mypreferences'],
          params: ClientParams,
          body: ProfileBodySchema,
          response: {
            200: ProfileSchema,
            202: Type.Object(
              { ProfileId: Type.Null(), Suppressed: Type.Boolean() },
              { description: 'The person opted out: acknowledged, nothing stored' },
            ),
          },
        },
      },
      async (request, reply) => {
        const environmentId = environmentOf(request);
        const { AlternateIds, Traits, CustomFields, Tags, Groups } = request.body;
        const profile = await services.annotations.upsert.upsert(
          environmentId,
          {
            identifiers: AlternateIds.map((i) => ({ type: i.Type, value: i.Value })),
            traits: { ...Traits },
            customFields: { ...CustomFields },
            tags: Tags ?? [],
            groups: Groups ?? [],
          },
          SOURCE,
        );
        if (!profile) return reply.status(202).send({ ProfileId: null, Suppressed: true });
        return presentWithExtras(services.annotations, environmentId, profile);
      },
    );
  };
}
