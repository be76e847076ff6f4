import type { ProfileState } from '../../engine/types.js';
import type { ProfileRef } from '../../modules/profiles/profile-ref.js';
import { type ClientInput, clientIdentify, presentClient } from './client-mapping.js';
import {
  applyToProfile,
  type ProfileManagementServices,
  prepare,
} from './profile-management-context.js';

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

/** The client a reference names, presented (404 when nobody has it). */
export async function readClient(
  services: ProfileManagementServices,
  environmentId: string,
  ref: ProfileRef,
) {
  return viewClient(services, environmentId, await services.queries.getProfile(environmentId, ref));
}

/**
 * Applies a client body to the profile `ref` names (created when an identifier nobody holds
 * names it): the fields as one identify event and the body's `tags` by name (added, defined
 * when new; tags not listed stay), in one transaction. Answers the profile as shown.
 */
export async function writeClient(
  services: ProfileManagementServices,
  environmentId: string,
  ref: ProfileRef,
  body: ClientInput,
) {
  const assignTags = services.annotations.tags.assignerByName(environmentId, body.tags ?? []);
  const { profile } = await applyToProfile(
    services,
    environmentId,
    ref,
    prepare([clientIdentify(body)]),
    {
      // A customId is an identifier, not a trait: the core attaches it (or refuses, 409).
      customId: body.customId,
      alongside: assignTags,
    },
  );
  return { profile, view: await viewClient(services, environmentId, profile) };
}
