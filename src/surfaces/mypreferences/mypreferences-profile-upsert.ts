import type { Static } from 'typebox';
import { IDENTIFIER_TYPES, type IdentifierType, type ProfileState } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import type { AlternateId } from '../../modules/annotations/alternate-id-service.js';
import type { AnnotationServices } from '../../modules/annotations/annotations-module.js';
import { prepareEvents } from '../../modules/events/event-intake.js';
import type { ProfileIngestService } from '../../modules/profiles/profile-ingest-service.js';
import type { ProfileQueryService } from '../../modules/profiles/profile-query-service.js';
import type { ProfileRef } from '../../modules/profiles/profile-ref.js';
import { CUSTOM_FIELD_PREFIX } from './mypreferences-profile-presenter.js';
import type { ProfileBodySchema } from './mypreferences-profile-schemas.js';

export interface ProfileUpsertServices {
  ingest: ProfileIngestService;
  queries: ProfileQueryService;
  annotations: AnnotationServices;
}

type ProfileBody = Static<typeof ProfileBodySchema>;

const SOURCE = 'mypreferences';
const CREATING: ReadonlySet<string> = new Set(['userId', 'anonymousId', 'customId']);

export const isTesseraType = (type: string): type is IdentifierType =>
  (IDENTIFIER_TYPES as readonly string[]).includes(type);

/**
 * Creates or updates the profile a MyPreferences body names, then attaches its extras. The first
 * AlternateId names the profile: a Tessera identifier as the ingest path knows it, or an
 * alternate id held by a profile. An alternate id nobody holds creates the profile under the
 * first unique Tessera identifier among the others, else under a fresh anonymousId. Alternate ids
 * held by another profile answer `identity_conflict` before anything is written. Null: the
 * person opted out, nothing was stored.
 */
export async function upsertProfile(
  services: ProfileUpsertServices,
  environmentId: string,
  body: ProfileBody,
): Promise<ProfileState | null> {
  const { AlternateIds, Traits, Tags, Groups } = body;
  const customFields = (body.CustomFields ?? {}) as Record<string, unknown>;
  checkFieldNames(customFields);
  const external: AlternateId[] = AlternateIds.filter((i) => !isTesseraType(i.Type)).map((i) => ({
    type: i.Type,
    value: i.Value,
  }));
  const owners = await Promise.all(
    external.map((id) => services.annotations.alternateIds.findProfileId(environmentId, id)),
  );
  const { ref, targetId } = await target(services, environmentId, AlternateIds, owners[0]);
  const other = owners.findIndex((owner) => owner !== undefined && owner !== targetId);
  if (other !== -1) {
    throw new AppError(
      'identity_conflict',
      `The alternate id ${external[other]!.type}:${external[other]!.value} belongs to another profile.`,
    );
  }

  const traits: Record<string, unknown> = { ...Traits };
  for (const [name, value] of Object.entries(customFields)) {
    traits[CUSTOM_FIELD_PREFIX + name] = value;
  }
  const event: Record<string, unknown> = { type: 'identify', traits };
  if (ref.kind === 'identifier' && ref.type === 'userId') event.userId = ref.value;
  for (const id of AlternateIds.slice(1)) {
    if (id.Type === 'userId' || id.Type === 'anonymousId') event[id.Type] = id.Value;
  }
  const events = prepareEvents([event], { receivedAt: Date.now(), requireProfileKey: false });
  const result = await services.ingest.ingestForProfile(
    { environmentId, source: SOURCE },
    ref,
    events,
  );
  // Nothing is stored for an opted-out person (the core dropped the events): acknowledged.
  if (!result.profile && result.suppressed > 0) return null;
  if (!result.profile) throw new AppError('profile_not_found');
  const profile = result.profile;

  const { annotations } = services;
  await annotations.alternateIds.linkAlternateIds(environmentId, profile, external);
  for (const name of Tags ?? [])
    await annotations.tags.assignTagByName(environmentId, profile, name);
  await annotations.labels.addGroups(environmentId, profile, Groups ?? []);
  // Index what the document ended with: a late event may have lost to a newer value.
  const indexed: Record<string, unknown> = {};
  for (const name of Object.keys(customFields)) {
    indexed[name] = profile.traits[CUSTOM_FIELD_PREFIX + name] ?? null;
  }
  await annotations.labels.indexFields(environmentId, profile, indexed);
  return profile;
}

/** The reference to ingest under, and the live profile it names now (undefined: new). */
async function target(
  services: ProfileUpsertServices,
  environmentId: string,
  ids: ProfileBody['AlternateIds'],
  firstOwner: string | undefined,
): Promise<{ ref: ProfileRef; targetId: string | undefined }> {
  const first = ids[0]!;
  if (!isTesseraType(first.Type)) {
    if (firstOwner) return { ref: { kind: 'id', id: firstOwner }, targetId: firstOwner };
    const creator = ids.find((i) => CREATING.has(i.Type));
    const ref: ProfileRef = creator
      ? { kind: 'identifier', type: creator.Type as IdentifierType, value: creator.Value }
      : { kind: 'identifier', type: 'anonymousId', value: newId() };
    return { ref, targetId: await liveIdOf(services, environmentId, ref) };
  }
  const ref: ProfileRef = { kind: 'identifier', type: first.Type, value: first.Value };
  return { ref, targetId: await liveIdOf(services, environmentId, ref) };
}

async function liveIdOf(
  services: ProfileUpsertServices,
  environmentId: string,
  ref: ProfileRef,
): Promise<string | undefined> {
  const profiles = await services.queries.findProfiles(environmentId, ref);
  return profiles.length === 1 ? profiles[0]!.id : undefined;
}

function checkFieldNames(fields: Record<string, unknown>): void {
  const bad = Object.keys(fields).filter((name) => name.length === 0 || name.length > 100);
  if (bad.length > 0) {
    throw new AppError(
      'validation_failed',
      undefined,
      bad.map((name) => ({
        field: `body.CustomFields.${name}`,
        message: 'names are 1 to 100 characters',
      })),
    );
  }
}
