import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isIdentifierType, type ProfileState } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import { environmentOf } from '../../platform/auth.js';
import { presentWithExtras } from './mypreferences-profile-presenter.js';
import {
  ClientParams,
  findProfilesByRef,
  type MyPreferencesServices,
} from './mypreferences-profile-routes.js';
import {
  ProfileListSchema,
  ProfileSearchQuerySchema,
  plainJson,
} from './mypreferences-profile-schemas.js';

/** Most profiles one search answers. */
const SEARCH_LIMIT = 100;

/**
 * `GET /Profiles/v4/{ClientId}/Profiles?<criterion>`: the 004 document's "any data point can
 * retrieve a profile". Tags, groups, custom fields and contact elements may match several
 * profiles; every criterion is an indexed lookup, never a scan of profiles.
 */
export function profileSearchRoutes(services: MyPreferencesServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/Profiles/v4/:clientId/Profiles',
      {
        config: { scope: 'read' },
        serializerCompiler: plainJson,
        schema: {
          summary:
            'MyPreferences: profiles matching one data point (tag, group, customField.<Name>, alternateId, email, …)',
          tags: ['mypreferences'],
          params: ClientParams,
          querystring: ProfileSearchQuerySchema,
          response: { 200: ProfileListSchema },
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const criteria = Object.entries(request.query as Record<string, string>);
        if (criteria.length !== 1) {
          throw new AppError(
            'validation_failed',
            'Give exactly one search criterion: tag, group, customField.<Name>, alternateId, email, phone, userId, customId or anonymousId.',
          );
        }
        const [name, value] = criteria[0]!;
        const profiles = (await search(services, environmentId, name, value)).slice(
          0,
          SEARCH_LIMIT,
        );
        return {
          Profiles: await Promise.all(
            profiles.map((p) => presentWithExtras(services.annotations, environmentId, p)),
          ),
        };
      },
    );
  };
}

async function search(
  services: MyPreferencesServices,
  environmentId: string,
  name: string,
  value: string,
): Promise<ProfileState[]> {
  const { annotations } = services;
  if (name === 'tag') {
    const page = await annotations.tags.profilesWithTag(environmentId, value, {
      limit: SEARCH_LIMIT,
    });
    return load(services, environmentId, page.profileIds);
  }
  if (name === 'group') {
    return load(
      services,
      environmentId,
      await annotations.labels.profilesInGroup(environmentId, value),
    );
  }
  if (name.startsWith('customField.')) {
    return annotations.upsert.findByCustomField(
      environmentId,
      name.slice('customField.'.length),
      value,
    );
  }
  if (name === 'alternateId') return findProfilesByRef(services, environmentId, value);
  if (isIdentifierType(name)) {
    return services.queries.findProfiles(environmentId, { kind: 'identifier', type: name, value });
  }
  throw new AppError('validation_failed', `Unknown search criterion "${name}".`);
}

async function load(
  services: MyPreferencesServices,
  environmentId: string,
  ids: string[],
): Promise<ProfileState[]> {
  const found = await Promise.all(
    ids.map((id) => services.queries.findProfiles(environmentId, { kind: 'id', id })),
  );
  return found.flat();
}
