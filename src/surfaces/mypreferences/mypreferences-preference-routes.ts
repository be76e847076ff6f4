import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { environmentOf } from '../../platform/auth.js';
import { preferenceChangesOf } from './mypreferences-consent-input.js';
import { checkFilters, presentPreferenceView } from './mypreferences-consent-presenters.js';
import type { MyPreferencesConsentServices } from './mypreferences-consent-routes.js';
import {
  PreferenceFilter,
  PreferencesBody,
  PreferencesReply,
  ProfileParams,
} from './mypreferences-consent-schemas.js';
import { profileForCaller } from './mypreferences-user-scope.js';

const tags = ['mypreferences'];

/** A profile's preferences under `/Profiles/v4/{ClientId}/Profiles/{ProfileId}/Preferences`. */
export function preferenceRoutes(
  services: MyPreferencesConsentServices,
): FastifyPluginAsyncTypebox {
  return async (app) => {
    const { consents } = services;

    app.get(
      '/Profiles/v4/:clientId/Profiles/:profileId/Preferences',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'MyPreferences: a profile’s current preferences (expired: not subscribed)',
          tags,
          params: ProfileParams,
          querystring: PreferenceFilter,
          response: { 200: PreferencesReply },
        },
      },
      async (request) => {
        const filter = checkFilters(request.query);
        const profile = await profileForCaller(request, services, request.params.profileId);
        const views = await consents.listPreferences(environmentOf(request), profile, {
          topic: filter.topic,
          channel: filter.channel,
        });
        return { ProfileId: profile.id, Preferences: views.map(presentPreferenceView) };
      },
    );

    app.post(
      '/Profiles/v4/:clientId/Profiles/:profileId/Preferences',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'MyPreferences: record preference changes (each appended to the history)',
          description:
            'Every item is checked before any is recorded; then they are recorded in order, ' +
            'each in its own transaction. `Source` defaults to `api`.',
          tags,
          params: ProfileParams,
          body: PreferencesBody,
          response: { 200: PreferencesReply },
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const changes = preferenceChangesOf(request.body, {
          now: consents.now(),
          requestIp: request.ip,
        });
        const profile = await profileForCaller(request, services, request.params.profileId);
        const recorded = [];
        for (const change of changes) {
          recorded.push(await consents.setPreference(environmentId, profile, change));
        }
        return { ProfileId: profile.id, Preferences: recorded.map(presentPreferenceView) };
      },
    );
  };
}
