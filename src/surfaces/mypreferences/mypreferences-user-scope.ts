import type { FastifyRequest } from 'fastify';
import type { ProfileState } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import type { ProfileQueryService } from '../../modules/profiles/profile-query-service.js';
import { parseProfileRef } from '../../modules/profiles/profile-ref.js';
import { environmentOf } from '../../platform/auth.js';

/**
 * The user an OAuth token is restricted to: the `UserId` of its `ClientId/UserId` scope (the
 * ClientId part is checked by the auth hook). PNAUTHINFO3 callers are API users acting for the
 * client, never restricted to one profile, although their principal names them the same way.
 */
export function scopedUserOf(request: FastifyRequest): string | undefined {
  const principal = request.principal;
  if (principal?.kind !== 'oauth_token' || !principal.subject) return undefined;
  return principal.subject.slice(principal.subject.indexOf('/') + 1);
}

function refused(): AppError {
  return new AppError('insufficient_scope', 'The access token is restricted to another user.');
}

/**
 * The profile `ref` names, for this caller. A user-scoped token reaches only the profile whose
 * userId is its UserId (and what was merged into it): anything else is refused with 403 whether
 * it exists or not, so that such a token cannot probe other people's ids.
 */
export async function profileForCaller(
  request: FastifyRequest,
  queries: ProfileQueryService,
  ref: string,
): Promise<ProfileState> {
  const environmentId = environmentOf(request);
  const user = scopedUserOf(request);
  const parsed = parseProfileRef(ref);
  if (user === undefined) return queries.getProfile(environmentId, parsed);
  const own = parsed.kind === 'identifier' && parsed.type === 'userId' && parsed.value === user;
  if (parsed.kind === 'identifier' && parsed.type === 'userId' && !own) throw refused();
  let profile: ProfileState;
  try {
    profile = await queries.getProfile(environmentId, parsed);
  } catch (error) {
    // Only the token's own user may learn that its profile does not exist (yet).
    if (own) throw error;
    throw refused();
  }
  if (!profile.identifiers.some((i) => i.type === 'userId' && i.value === user)) throw refused();
  return profile;
}
