import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  validateConsentChange,
  validatePolicyVersion,
  validatePreferenceChange,
} from '../../engine/consent-validate.js';
import type { ConsentService } from '../../modules/consents/consent-service.js';
import type { ProfileQueryService } from '../../modules/profiles/profile-query-service.js';
import { parseProfileRef } from '../../modules/profiles/profile-ref.js';
import { environmentOf } from '../../platform/auth.js';
import {
  filterOf,
  invalidChange,
  presentConsent,
  presentEntry,
  presentPolicy,
  presentPreference,
} from './consent-presenters.js';
import {
  ConsentBody,
  ConsentQuery,
  Name,
  Paging,
  PreferenceBody,
  PreferenceQuery,
  Text,
} from './consent-schemas.js';
import { RefParams } from './native-schemas.js';

export interface ConsentRouteServices {
  consents: ConsentService;
  queries: ProfileQueryService;
}

const tags = ['consents'];

/**
 * Consents and preferences of a profile, with their history (read scope to read, write to
 * change), and the environment's consent policy versions (admin to publish).
 */
export function consentRoutes(services: ConsentRouteServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    const { consents } = services;
    const profileOf = (environmentId: string, ref: string) =>
      services.queries.getProfile(environmentId, parseProfileRef(ref));

    app.put(
      '/profiles/:ref/consents/:purpose',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Record a consent change (appended to the history)',
          tags,
          params: Type.Intersect([RefParams, Type.Object({ purpose: Name })]),
          body: ConsentBody,
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const change = validateConsentChange(request.params.purpose, request.body, {
          now: consents.now(),
          requestIp: request.ip,
        });
        if (!change.ok) throw invalidChange(change.errors);
        const profile = await profileOf(environmentId, request.params.ref);
        return presentConsent(await consents.setConsent(environmentId, profile, change.value));
      },
    );

    app.get(
      '/profiles/:ref/consents',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'A profile’s current consents (expired ones read as `expired`)',
          tags,
          params: RefParams,
          querystring: ConsentQuery,
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const filter = filterOf(request.query);
        const profile = await profileOf(environmentId, request.params.ref);
        const data = await consents.listConsents(environmentId, profile, {
          purpose: filter.purpose,
          dataPoint: filter.dataPoint,
        });
        return { profileId: profile.id, data: data.map(presentConsent) };
      },
    );

    app.get(
      '/profiles/:ref/consents/history',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'A profile’s consent history, in the order it was recorded',
          tags,
          params: RefParams,
          querystring: Type.Object({ ...ConsentQuery.properties, ...Paging }),
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const filter = filterOf(request.query);
        const profile = await profileOf(environmentId, request.params.ref);
        const page = await consents.history(environmentId, profile, 'consent', {
          subject: filter.purpose,
          target: filter.dataPoint,
          after: request.query.cursor,
          limit: request.query.limit,
        });
        return { profileId: profile.id, data: page.entries.map(presentEntry), next: page.next };
      },
    );

    app.put(
      '/profiles/:ref/preferences/:topic/:channel',
      {
        config: { scope: 'write' },
        schema: {
          summary: 'Record a preference change (appended to the history)',
          tags,
          params: Type.Intersect([RefParams, Type.Object({ topic: Name, channel: Name })]),
          body: PreferenceBody,
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const { topic, channel } = request.params;
        const change = validatePreferenceChange(topic, channel, request.body, {
          now: consents.now(),
          requestIp: request.ip,
        });
        if (!change.ok) throw invalidChange(change.errors);
        const profile = await profileOf(environmentId, request.params.ref);
        return presentPreference(
          await consents.setPreference(environmentId, profile, change.value),
        );
      },
    );

    app.get(
      '/profiles/:ref/preferences',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'A profile’s current preferences and its marketing channels',
          description:
            '`marketingPreferences.channels` rolls the preferences up per channel, as the 002 ' +
            'document shows them: subscribed when any topic of the channel is (and not expired).',
          tags,
          params: RefParams,
          querystring: PreferenceQuery,
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const filter = filterOf(request.query);
        const profile = await profileOf(environmentId, request.params.ref);
        const data = await consents.listPreferences(environmentId, profile, {
          topic: filter.topic,
          channel: filter.channel,
        });
        return {
          profileId: profile.id,
          data: data.map(presentPreference),
          marketingPreferences: {
            channels: await consents.marketingChannels(environmentId, profile),
          },
        };
      },
    );

    app.get(
      '/profiles/:ref/preferences/history',
      {
        config: { scope: 'read' },
        schema: {
          summary: 'A profile’s preference history, in the order it was recorded',
          tags,
          params: RefParams,
          querystring: Type.Object({ ...PreferenceQuery.properties, ...Paging }),
        },
      },
      async (request) => {
        const environmentId = environmentOf(request);
        const filter = filterOf(request.query);
        const profile = await profileOf(environmentId, request.params.ref);
        const page = await consents.history(environmentId, profile, 'preference', {
          subject: filter.topic,
          target: filter.channel,
          after: request.query.cursor,
          limit: request.query.limit,
        });
        return { profileId: profile.id, data: page.entries.map(presentEntry), next: page.next };
      },
    );

    app.post(
      '/consent-policies/:purpose',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'Publish a new policy version of a purpose',
          description:
            'Consents given under another version read as `needsRenewal: true` from now on. ' +
            'Publishing the current version again answers 200 and changes nothing; a version ' +
            'published before answers 409.',
          tags,
          params: Type.Object({ purpose: Name }),
          body: Type.Object({ version: Text }),
        },
      },
      async (request, reply) => {
        const valid = validatePolicyVersion(request.params.purpose, request.body);
        if (!valid.ok) throw invalidChange(valid.errors);
        const { policy, created } = await consents.publishPolicy(
          environmentOf(request),
          valid.value.purpose,
          valid.value.version,
        );
        return reply.status(created ? 201 : 200).send(presentPolicy(policy));
      },
    );

    app.get(
      '/consent-policies',
      {
        config: { scope: 'read' },
        schema: { summary: 'The current policy version of each purpose', tags },
      },
      async (request) => ({
        data: (await consents.listPolicies(environmentOf(request))).map(presentPolicy),
      }),
    );
  };
}
