import type { FastifyRequest } from 'fastify';
import type { ProfileState } from '../../engine/types.js';
import { onlyProfile } from '../../modules/profiles/profile-query-service.js';
import { environmentOf } from '../../platform/auth.js';
import { findProfilesByRef, type MyPreferencesServices } from './mypreferences-profile-routes.js';

/**
 * The profile `ref` names in the caller's environment, read as the profile GET reads it: a
 * ProfileId, a Tessera identifier (`email:…`) or an alternate id (`CRM:123`). The `UserId` of an
 * OAuth `ClientId/UserId` scope, like PNAUTHINFO3's credential, names the MyPreferences API user
 * who calls, not a profile (the 004 document: access "depends on the permissions associated with
 * the userId"): such a caller reaches every profile of its client, within its credential's scopes.
 */
export async function profileForCaller(
  request: FastifyRequest,
  services: MyPreferencesServices,
  ref: string,
): Promise<ProfileState> {
  return onlyProfile(await findProfilesByRef(services, environmentOf(request), ref));
}
