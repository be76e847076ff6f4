import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ConsentService } from '../../modules/consents/consent-service.js';
import type { ProfileQueryService } from '../../modules/profiles/profile-query-service.js';
import { environmentOf } from '../../platform/auth.js';
import { consentChangesOf } from './mypreferences-consent-input.js';
import { checkFilters, presentConsentView } from './mypreferences-consent-presenters.js';
import {
  ConsentFilter,
  ConsentsBody,
  ConsentsReply,
  ProfileParams,
} from './mypreferences-consent-schemas.js';
import { profileForCaller } from './mypreferences-user-scope.js';

export interface MyPreferencesConsentServices {
  consents: ConsentService;
  queries: ProfileQueryService;
}

const tags = ['mypreferences'];

/** A profile's consents under `/Profiles/v4/{ClientId}/Profiles/{ProfileId}/Consents`. */
export function consentRoutes(services: MyPreferencesConsentServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    const { consents, queries } = services;

    app.get(
      '/Profiles/v4/:clientId/Profiles/:profileId/Consents',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'MyPreferences: a profile’s current consents (expired ones read as `Expired`)',
          tags,
          params: ProfileParams,
          querystring: ConsentFilter,
          response: { 200: ConsentsReply },
        },
      },
      async (request) => {
        const filter = checkFilters(request.query);
        const profile = await profileForCaller(request, queries, request.params.profileId);
        const views = await consents.listConsents(environmentOf(request), profile, {
          purpose: filter.purpose,
          dataPoint: filter.dataPoint,
        });
        return { ProfileId: profile.id, Consents: views.map(presentConsentView) };
      },
    );

    app.post(
      '/Profiles/v4/:clientId/Profiles/:profileId/Consents',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'MyPreferences: record consent changes (each appended to the history)',
          description:
            'Every item is checked before any is recorded; then they are recorded in order, ' +
            'each in its own transaction. `CollectedAt` is the time Tessera records the change.',
          tags,
          params: ProfileParams,
          body: ConsentsBody,
          response: { 200: ConsentsReply },
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const changes = consentChangesOf(request.body, {
          now: consents.now(),
          requestIp: request.ip,
        });
        const profile = await profileForCaller(request, queries, request.params.profileId);
        const recorded = [];
        for (const change of changes) {
          recorded.push(await consents.setConsent(environmentId, profile, change));
        }
        return { ProfileId: profile.id, Consents: recorded.map(presentConsentView) };
      },
    );
  };
}
