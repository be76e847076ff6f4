import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ConsentService } from '../../modules/consents/consent-service.js';
import { environmentOf } from '../../platform/auth.js';
import { consentChangesOf } from './mypreferences-consent-input.js';
import { checkFilters, presentConsentView } from './mypreferences-consent-presenters.js';
import {
  ConsentFilter,
  ConsentsBody,
  ConsentsReply,
  ProfileParams,
} from './mypreferences-consent-schemas.js';
import type { MyPreferencesServices } from './mypreferences-profile-routes.js';
import { profileForCaller } from './mypreferences-user-scope.js';

/** A profile is named as the profile GET names it, so alternate ids are looked up too. */
export interface MyPreferencesConsentServices extends MyPreferencesServices {
  consents: ConsentService;
}

const tags = ['mypreferences'];

/**
 * A profile's consents under `/Profiles/v4/{ClientId}/Profiles/{ProfileId or Type:Value}/Consents`.
 */
export function consentRoutes(services: MyPreferencesConsentServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    const { consents } = services;

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
        const profile = await profileForCaller(request, services, request.params.profileId);
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
        const profile = await profileForCaller(request, services, request.params.profileId);
        const recorded = [];
        for (const change of changes) {
          recorded.push(await consents.setConsent(environmentId, profile, change));
        }
        return { ProfileId: profile.id, Consents: recorded.map(presentConsentView) };
      },
    );
  };
}
