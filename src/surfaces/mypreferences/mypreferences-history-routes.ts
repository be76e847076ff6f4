import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ProfileState } from '../../engine/types.js';
import type { HistoryFilter, HistoryPage } from '../../modules/consents/consent-service.js';
import type { DataPointKind } from '../../modules/consents/consent-store.js';
import { environmentOf } from '../../platform/auth.js';
import {
  checkFilters,
  parseDataPoint,
  presentHistoryEntry,
} from './mypreferences-consent-presenters.js';
import type { MyPreferencesConsentServices } from './mypreferences-consent-routes.js';
import {
  CombinedHistoryQuery,
  ConsentFilter,
  HistoryReply,
  Paging,
  PreferenceFilter,
  ProfileParams,
} from './mypreferences-consent-schemas.js';
import { profileForCaller } from './mypreferences-user-scope.js';

const tags = ['mypreferences'];

/**
 * Consent and preference history of a profile, oldest first, a page at a time: per kind
 * (`…/Consents/History`, `…/Preferences/History`) and for every data point or one
 * (`…/History?dataPoint=`). Entries are never changed; a cursor is the last entry's id.
 */
export function historyRoutes(services: MyPreferencesConsentServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    const { consents } = services;
    const page = async (
      environmentId: string,
      profile: ProfileState,
      kinds: DataPointKind[],
      filter: HistoryFilter,
    ) => {
      const pages: HistoryPage[] = [];
      for (const kind of kinds)
        pages.push(await consents.history(environmentId, profile, kind, filter));
      // History ids are time-ordered (UUIDv7) across kinds, so one cursor pages both.
      const merged = pages.flatMap((p) => p.entries).sort((a, b) => (a.id < b.id ? -1 : 1));
      const entries = merged.slice(0, filter.limit);
      const more = merged.length > filter.limit || pages.some((p) => p.next !== null);
      return {
        ProfileId: profile.id,
        History: entries.map(presentHistoryEntry),
        NextCursor: more && entries.length > 0 ? entries.at(-1)!.id : null,
      };
    };

    app.get(
      '/Profiles/v4/:clientId/Profiles/:profileId/Consents/History',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'MyPreferences: a profile’s consent history, in the order recorded',
          tags,
          params: ProfileParams,
          querystring: Type.Object({ ...ConsentFilter.properties, ...Paging }),
          response: { 200: HistoryReply },
        },
      },
      async (request) => {
        const filter = checkFilters(request.query);
        const profile = await profileForCaller(request, services, request.params.profileId);
        return page(environmentOf(request), profile, ['consent'], {
          subject: filter.purpose,
          target: filter.dataPoint,
          after: filter.cursor,
          limit: request.query.limit,
        });
      },
    );

    app.get(
      '/Profiles/v4/:clientId/Profiles/:profileId/Preferences/History',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'MyPreferences: a profile’s preference history, in the order recorded',
          tags,
          params: ProfileParams,
          querystring: Type.Object({ ...PreferenceFilter.properties, ...Paging }),
          response: { 200: HistoryReply },
        },
      },
      async (request) => {
        const filter = checkFilters(request.query);
        const profile = await profileForCaller(request, services, request.params.profileId);
        return page(environmentOf(request), profile, ['preference'], {
          subject: filter.topic,
          target: filter.channel,
          after: filter.cursor,
          limit: request.query.limit,
        });
      },
    );

    app.get(
      '/Profiles/v4/:clientId/Profiles/:profileId/History',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'MyPreferences: the history of every consent and preference, or of one',
          tags,
          params: ProfileParams,
          querystring: CombinedHistoryQuery,
          response: { 200: HistoryReply },
        },
      },
      async (request) => {
        const { cursor } = checkFilters({ cursor: request.query.cursor });
        const point =
          request.query.dataPoint === undefined
            ? undefined
            : parseDataPoint(request.query.dataPoint);
        const profile = await profileForCaller(request, services, request.params.profileId);
        return page(
          environmentOf(request),
          profile,
          point ? [point.kind] : ['consent', 'preference'],
          {
            subject: point?.subject,
            target: point?.target,
            after: cursor,
            limit: request.query.limit,
          },
        );
      },
    );
  };
}
