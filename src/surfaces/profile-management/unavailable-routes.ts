import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../errors/app-error.js';
import { TAGS } from './profile-management-context.js';

const NO_END_USER_LOGIN =
  'This endpoint acts as the logged-in profile (a profile token from a Synerise login). Tessera ' +
  'has no end-user login: use the workspace endpoints (/v4/clients/{clientId}…, ' +
  '/v4/events/by-client/{clientId}) with an API key instead.';

/**
 * `/v4/my-account/*` and `GET /v4/events` answer as the profile that is logged in. Tessera has
 * no end-user accounts or profile tokens, so there is no "me" to answer for: they stay routed
 * (so a client gets an explanation, not a bare 404) and answer 501 in the dialect's format.
 * They still declare scopes, so an unauthenticated caller gets 401 first like everywhere else.
 */
export function unavailableRoutes(): FastifyPluginAsyncTypebox {
  return async (app) => {
    const refuse = async () => {
      throw new AppError('not_implemented', NO_END_USER_LOGIN);
    };
    const schema = (summary: string) => ({
      summary,
      description: NO_END_USER_LOGIN,
      tags: TAGS,
    });
    app.get(
      '/my-account/*',
      { config: { scope: 'read' }, schema: schema('My account (501: no end-user login)') },
      refuse,
    );
    app.post(
      '/my-account/*',
      { config: { scope: 'write' }, schema: schema('My account (501: no end-user login)') },
      refuse,
    );
    app.get(
      '/events',
      {
        config: { scope: 'read' },
        schema: schema("Get Profile's own events (501: no end-user login)"),
      },
      refuse,
    );
  };
}
