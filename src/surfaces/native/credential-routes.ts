import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  CREDENTIAL_KINDS,
  type CredentialSummary,
} from '../../modules/credentials/credential-types.js';
import { SCOPES, type Scope } from '../../modules/credentials/scopes.js';
import { environmentOf } from '../../platform/auth.js';
import type { NativeServices } from './native-context.js';
import { iso } from './native-presenters.js';

function presentCredential(c: CredentialSummary) {
  return {
    id: c.id,
    kind: c.kind,
    name: c.name,
    publicId: c.publicId,
    scopes: c.scopes,
    settings: c.settings,
    createdAt: iso(c.createdAt),
    revokedAt: iso(c.revokedAt),
    secrets: c.secrets.map((s) => ({
      id: s.id,
      createdAt: iso(s.createdAt),
      expiresAt: iso(s.expiresAt),
    })),
  };
}

const Settings = Type.Object(
  {
    tokenTtlSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 86_400 })),
    hmacWindowSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600 })),
    rateLimit: Type.Optional(
      Type.Object({
        ratePerSecond: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }),
        burst: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
      }),
    ),
  },
  { additionalProperties: false },
);

const CreateBody = Type.Object(
  {
    kind: Type.String({ enum: [...CREDENTIAL_KINDS], default: 'api_key' }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    scopes: Type.Optional(
      Type.Array(Type.String({ enum: [...SCOPES] }), {
        minItems: 1,
        uniqueItems: true,
        description: 'Default: read. A write_key has write only; a publishable_key read and write.',
      }),
    ),
    settings: Type.Optional(Settings),
    userId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'HMAC users: the signing user id.',
      }),
    ),
    privateKey: Type.Optional(
      Type.String({ minLength: 16, maxLength: 512, description: 'HMAC users: use this key.' }),
    ),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

/**
 * Managing the credentials of the caller's own environment (admin scope): API keys, write keys,
 * OAuth clients and HMAC users. Secrets appear in the create and rotate answers only.
 */
export function credentialRoutes(services: NativeServices): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/credentials',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'Create a credential; its secret is in this answer only',
          description:
            '`api_key` → `tsk_…` key; `write_key` → `twk_…` key (write-only, tracking endpoints); ' +
            '`oauth_client` → `publicId` is the client_id and `secret` the client_secret; ' +
            '`hmac_user` → `secret` is the PNAUTHINFO3 private key (stored encrypted).',
          tags: ['credentials'],
          body: CreateBody,
        },
      },
      async (request, reply) => {
        const body = request.body;
        const issued = await services.credentials.create(environmentOf(request), {
          kind: body.kind as (typeof CREDENTIAL_KINDS)[number],
          name: body.name,
          scopes: body.scopes as Scope[] | undefined,
          settings: body.settings,
          userId: body.userId,
          privateKey: body.privateKey,
        });
        return reply
          .status(201)
          .send({ ...presentCredential(issued.credential), secret: issued.secret });
      },
    );

    app.get(
      '/credentials',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'List the credentials of this environment (never their secrets)',
          tags: ['credentials'],
        },
      },
      async (request) => ({
        data: (await services.credentials.list(environmentOf(request))).map(presentCredential),
      }),
    );

    app.post(
      '/credentials/:id/rotate',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'Issue a new secret; the old one keeps working for the rotation grace period',
          tags: ['credentials'],
          params: IdParams,
          body: Type.Optional(
            Type.Object({
              privateKey: Type.Optional(Type.String({ minLength: 16, maxLength: 512 })),
            }),
          ),
        },
      },
      async (request) => {
        const issued = await services.credentials.rotate(
          environmentOf(request),
          request.params.id,
          request.body?.privateKey,
        );
        return { ...presentCredential(issued.credential), secret: issued.secret };
      },
    );

    app.delete(
      '/credentials/:id',
      {
        config: { scope: 'admin' },
        schema: {
          summary: 'Revoke a credential (and every token issued to it); effective at once',
          tags: ['credentials'],
          params: IdParams,
        },
      },
      async (request, reply) => {
        await services.credentials.revoke(environmentOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
