import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { checkName } from '../../engine/consent-validate-fields.js';
import { AppError } from '../../errors/app-error.js';
import type { EnvironmentSettings, TenantService } from '../../modules/tenants/tenant-service.js';
import { environmentOf } from '../../platform/auth.js';

/** The caller's environment and its settings (admin to change). */
export function environmentRoutes(services: {
  tenants: TenantService;
  /** Dropped at once after a change, so this process personalizes with the new setting. */
  personalization: { invalidate(environmentId: string): void };
  /** The same for the webhooks' cached setting. */
  webhooks: { recorder: { invalidate(environmentId: string): void } };
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/environment',
      {
        config: { scope: 'read' },
        schema: { summary: "The credential's environment and its settings", tags: ['tenancy'] },
      },
      async (request) => services.tenants.describeEnvironment(environmentOf(request)),
    );
    app.patch(
      '/environment',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'Change environment settings',
          description:
            '`publicAccess`: `open` (default; the Experience API answers whoever holds a profile id) or `locked` ' +
            '(browsers must use a publishable key as the organization id, reach only the profiles that key created, ' +
            'and never merge into an identified profile). `personalizationRequiresConsent`: a consent purpose ' +
            '(or null, the default): profiles without that consent granted get every experience’s baseline and ' +
            'keep no sticky variants. `webhooksRequireConsent`: a consent purpose (or null, the default): change events ' +
            'about a profile without that consent granted are neither recorded nor delivered; events tied to no profile ' +
            '(`profile.opted_out`, `profile.deleted`) and changes of that consent itself still go.',
          tags: ['tenancy'],
          body: Type.Object(
            {
              publicAccess: Type.Optional(Type.String({ enum: ['open', 'locked'] })),
              personalizationRequiresConsent: Type.Optional(
                Type.Union([Type.Null(), Type.String({ maxLength: 100 })]),
              ),
              webhooksRequireConsent: Type.Optional(
                Type.Union([Type.Null(), Type.String({ maxLength: 100 })]),
              ),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (request) => {
        const { publicAccess } = request.body;
        const patch: Partial<EnvironmentSettings> = {};
        if (publicAccess) patch.publicAccess = publicAccess as 'open' | 'locked';
        for (const field of ['personalizationRequiresConsent', 'webhooksRequireConsent'] as const) {
          const purpose = request.body[field];
          if (purpose === undefined) continue;
          // A purpose as consents name it (the engine's rule), so that it can ever be granted.
          const problem = purpose === null ? undefined : checkName(purpose);
          if (problem) {
            throw new AppError('validation_failed', 'The request is not valid.', [
              { field: `body.${field}`, message: problem },
            ]);
          }
          patch[field] = purpose;
        }
        const environmentId = environmentOf(request);
        const settings = await services.tenants.updateSettings(environmentId, patch);
        services.personalization.invalidate(environmentId);
        services.webhooks.recorder.invalidate(environmentId);
        return { settings };
      },
    );
  };
}
