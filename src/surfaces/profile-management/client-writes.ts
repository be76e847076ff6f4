import type { ProfileState } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import type { ProfileRef } from '../../modules/profiles/profile-ref.js';
import { type ClientInput, clientIdentify, presentClient } from './client-mapping.js';
import {
  applyToProfile,
  type ProfileManagementServices,
  prepare,
} from './profile-management-context.js';

/**
 * A customId is the profile's own identifier: it comes with the profile (create, or upsert by
 * customId). The core attaches a customId only to a profile created through it, so a body that
 * asks an existing profile for another customId is refused rather than silently ignored.
 */
export async function checkCustomId(
  services: ProfileManagementServices,
  environmentId: string,
  ref: ProfileRef,
  body: ClientInput,
): Promise<void> {
  const wanted = body.customId;
  if (wanted === undefined) return;
  if (ref.kind === 'identifier' && ref.type === 'customId' && ref.value === wanted) return;
  const profiles = await services.queries.findProfiles(environmentId, ref);
  const holds = profiles.some((p) =>
    p.identifiers.some((i) => i.type === 'customId' && i.value === wanted),
  );
  if (!holds) {
    throw new AppError(
      'conflict',
      'customId is set when a profile is created (POST /v4/clients or by-customid); it cannot be changed on an existing profile.',
    );
  }
}

/** A profile as the API shows it, with the names of its tags. */
export async function viewClient(
  services: ProfileManagementServices,
  environmentId: string,
  state: ProfileState,
) {
  const tags = await services.annotations.tags.tagsOfProfile(environmentId, state);
  return presentClient(
    state,
    tags.map((t) => t.name),
  );
}

/**
 * Applies a client body to the profile `ref` names (created when an identifier nobody holds
 * names it): the fields as one identify event, then the body's `tags` by name (added, defined
 * when new; tags not listed stay). Answers the profile as shown.
 */
export async function writeClient(
  services: ProfileManagementServices,
  environmentId: string,
  ref: ProfileRef,
  body: ClientInput,
) {
  await checkCustomId(services, environmentId, ref, body);
  const { profile } = await applyToProfile(
    services,
    environmentId,
    ref,
    prepare([clientIdentify(body)]),
  );
  for (const name of body.tags ?? [])
    await services.annotations.tags.assignTagByName(environmentId, profile, name);
  return { profile, view: await viewClient(services, environmentId, profile) };
}
