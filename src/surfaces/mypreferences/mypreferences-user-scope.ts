import type { FastifyRequest } from 'fastify';
import type { ProfileState } from '../../engine/types.js';
import type { ProfileQueryService } from '../../modules/profiles/profile-query-service.js';
import { parseProfileRef } from '../../modules/profiles/profile-ref.js';
import { environmentOf } from '../../platform/auth.js';

/**
 * The profile `ref` names in the caller's environment. The `UserId` of an OAuth
 * `ClientId/UserId` scope, like PNAUTHINFO3's credential, names the MyPreferences API user who
 * calls, not a profile (the 004 document: access "depends on the permissions associated with the
 * userId"): such a caller reaches every profile of its client, within its credential's scopes.
 */
export function profileForCaller(
  request: FastifyRequest,
  queries: ProfileQueryService,
  ref: string,
): Promise<ProfileState> {
  return queries.getProfile(environmentOf(request), parseProfileRef(ref));
}
