import type { JsonObject, ProfileState } from '../../engine/types.js';
import type { AlternateId } from '../../modules/annotations/alternate-id-service.js';
import type { AnnotationServices } from '../../modules/annotations/annotations-module.js';
import { CUSTOM_FIELD_PREFIX } from '../../modules/annotations/profile-upsert-service.js';

/** What a profile carries outside its document: alternate ids, tags and groups. */
export interface ProfileExtras {
  alternateIds: AlternateId[];
  tags: string[];
  groups: string[];
}

const NO_EXTRAS: ProfileExtras = { alternateIds: [], tags: [], groups: [] };

/** A profile as the MyPreferences dialect shows it. */
export function presentMyPreferencesProfile(state: ProfileState, extras = NO_EXTRAS) {
  const traits: JsonObject = {};
  const customFields: JsonObject = {};
  for (const [key, value] of Object.entries(state.traits)) {
    if (key.startsWith(CUSTOM_FIELD_PREFIX)) {
      customFields[key.slice(CUSTOM_FIELD_PREFIX.length)] = value;
    } else {
      traits[key] = value;
    }
  }
  return {
    ProfileId: state.id,
    AlternateIds: [
      ...state.identifiers.map((i) => ({ Type: i.type, Value: i.value })),
      ...extras.alternateIds.map((i) => ({ Type: i.type, Value: i.value })),
    ],
    Traits: traits,
    Tags: extras.tags,
    CustomFields: customFields,
    Groups: extras.groups,
    CreatedDate: new Date(state.metadata.createdAt).toISOString(),
    ModifiedDate: new Date(state.metadata.updatedAt).toISOString(),
  };
}

/** The profile with its alternate ids, tags and groups (those of merged profiles included). */
export async function presentWithExtras(
  annotations: AnnotationServices,
  environmentId: string,
  state: ProfileState,
) {
  const [alternateIds, tags, groups] = await Promise.all([
    annotations.alternateIds.alternateIdsOf(environmentId, state),
    annotations.tags.tagsOfProfile(environmentId, state),
    annotations.labels.groupsOf(environmentId, state),
  ]);
  return presentMyPreferencesProfile(state, {
    alternateIds,
    tags: tags.map((t) => t.name),
    groups,
  });
}
