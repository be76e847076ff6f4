import type { Transaction } from 'kysely';
import {
  type Identifier,
  isIdentifierType,
  type ProfileState,
  UNIQUE_IDENTIFIER_TYPES,
} from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import type { Database } from '../../storage/schema.js';
import { prepareEvents } from '../events/event-intake.js';
import type { ProfileIngestService } from '../profiles/profile-ingest-service.js';
import type { ProfileQueryService } from '../profiles/profile-query-service.js';
import type { ProfileRef } from '../profiles/profile-ref.js';
import { ProfileWriteSlots } from '../profiles/profile-write-slot.js';
import {
  type AlternateId,
  type AlternateIdService,
  checkAlternateIds,
} from './alternate-id-service.js';
import { checkGroupNames, fieldText, type LabelService } from './label-service.js';
import {
  identifyEvents,
  normalizeIdentifiers,
  tesseraIdentifiers,
} from './profile-upsert-identifiers.js';
import type { TagService } from './tag-service.js';

/**
 * Custom fields are traits named `customFields.<Name>`, one trait per field: traits merge per
 * top-level key by event time, so one `customFields` object would be replaced whole by a write
 * that names only some of its fields.
 */
export const CUSTOM_FIELD_PREFIX = 'customFields.';

/** A profile with its extras, as one call creates or updates it (MyPreferences' profile body). */
export interface ProfileUpsert {
  /**
   * In the caller's order; the first names the profile. Each is one of Tessera's identifier types
   * (userId, email, …) or an alternate id of another system (any other type).
   */
  identifiers: AlternateId[];
  traits: Record<string, unknown>;
  /** Fields by name: kept as traits under {@link CUSTOM_FIELD_PREFIX} and indexed for search. */
  customFields: Record<string, unknown>;
  tags: string[];
  groups: string[];
}

/**
 * Creates or updates the profile an upsert names and attaches its extras (alternate ids, tags,
 * groups, the custom-field index), all in the profile's one transaction. The first identifier names the profile: a Tessera identifier
 * as the ingest path knows it, or an alternate id held by a profile. An alternate id nobody holds
 * creates the profile under the first unique Tessera identifier among the others, else under a
 * fresh anonymousId. Every identifier given is attached (emails and phones in ingestion's form,
 * see profile-upsert-identifiers.ts), or the upsert is refused: an invalid email or phone, or two
 * userIds or customIds, is `validation_failed`; a unique identifier or alternate id held by
 * another profile is `identity_conflict`, before anything is written (a second customId for a
 * profile that has one is refused by the core, in the same transaction as the write).
 */
export class ProfileUpsertService {
  /** Upserts of one first identifier, one at a time (see upsert); more waiting: 429. */
  private readonly turns = new ProfileWriteSlots(100);

  constructor(
    private readonly ingest: ProfileIngestService,
    private readonly queries: ProfileQueryService,
    private readonly extras: {
      alternateIds: AlternateIdService;
      tags: TagService;
      labels: LabelService;
    },
  ) {}

  /** The profile as stored; null when the person opted out and nothing was stored. */
  async upsert(
    environmentId: string,
    input: ProfileUpsert,
    source: string,
  ): Promise<ProfileState | null> {
    checkFieldNames(input.customFields);
    const identifiers = normalizeIdentifiers(input.identifiers);
    const first = identifiers[0];
    // One upsert at a time per first identifier in this process, so that concurrent upserts of
    // a new alternate id all succeed on one profile: interleaved, each would find the id free
    // and create a profile, and all but one would be refused (and rolled back) at the link.
    return this.turns.run(`${environmentId}\u0000${first?.type}:${first?.value}`, () =>
      this.upsertIdentified(environmentId, input, identifiers, source),
    );
  }

  private async upsertIdentified(
    environmentId: string,
    input: ProfileUpsert,
    identifiers: AlternateId[],
    source: string,
  ): Promise<ProfileState | null> {
    const external = identifiers.filter((i) => !isIdentifierType(i.type));
    const owners = await Promise.all(
      external.map((id) => this.extras.alternateIds.findProfileId(environmentId, id)),
    );
    const { ref, targetId } = await this.target(environmentId, identifiers, owners[0]);
    const other = owners.findIndex((owner) => owner !== undefined && owner !== targetId);
    if (other !== -1) {
      throw new AppError(
        'identity_conflict',
        `The alternate id ${external[other]!.type}:${external[other]!.value} belongs to another profile.`,
      );
    }
    const own = tesseraIdentifiers(identifiers);
    await this.checkUniqueOwners(environmentId, own, targetId);
    checkAlternateIds(external);
    checkGroupNames(input.groups);
    const { alternateIds, tags, labels } = this.extras;
    const assignTags = tags.assignerByName(environmentId, input.tags);

    const traits: Record<string, unknown> = { ...input.traits };
    for (const [name, value] of Object.entries(input.customFields)) {
      traits[CUSTOM_FIELD_PREFIX + name] = value;
    }
    const events = prepareEvents(identifyEvents(own, traits), {
      receivedAt: Date.now(),
      requireProfileKey: false,
    });
    // A customId is the request's claim, not an event's: the core attaches it or refuses (409).
    const customId = own.find((i) => i.type === 'customId')?.value;
    // The extras are written in the events' transaction: a refusal there (an identifier or
    // alternate id another request took meanwhile, in this process or another) rolls back the
    // whole upsert, a new profile included.
    const alongside = async (trx: Transaction<Database>, profile: ProfileState) => {
      const missing = own.find(
        (id) => !profile.identifiers.some((i) => i.type === id.type && i.value === id.value),
      );
      if (missing) {
        throw new AppError(
          'identity_conflict',
          `The ${missing.type} ${missing.value} could not be attached: another profile holds it.`,
        );
      }
      await alternateIds.linkAlternateIds(trx, environmentId, profile, external);
      await assignTags(trx, profile);
      await labels.addGroups(trx, environmentId, profile, input.groups);
      // Index what the document ended with: a late event may have lost to a newer value.
      const indexed: Record<string, unknown> = {};
      for (const name of Object.keys(input.customFields)) {
        indexed[name] = profile.traits[CUSTOM_FIELD_PREFIX + name] ?? null;
      }
      await labels.indexFields(trx, environmentId, profile, indexed);
    };
    const result = await this.ingest.ingestForProfile({ environmentId, source }, ref, events, {
      customId,
      alongside,
    });
    // Nothing is stored for an opted-out person (the core dropped the events): acknowledged.
    if (!result.profile && result.suppressed > 0) return null;
    if (!result.profile) throw new AppError('profile_not_found');
    return result.profile;
  }

  /**
   * Live profiles whose custom field `name` holds `value` now: the index (refreshed after each
   * upsert) finds the candidates, and the document has the last word.
   */
  async findByCustomField(
    environmentId: string,
    name: string,
    value: string,
  ): Promise<ProfileState[]> {
    const ids = await this.extras.labels.profilesWithField(environmentId, name, value);
    const found = await Promise.all(
      ids.map((id) => this.queries.findProfiles(environmentId, { kind: 'id', id })),
    );
    return found.flat().filter((profile) => {
      const current = profile.traits[CUSTOM_FIELD_PREFIX + name];
      return current !== undefined && current !== null && fieldText(current) === value;
    });
  }

  /** The reference to ingest under, and the live profile it names now (undefined: new). */
  private async target(
    environmentId: string,
    ids: AlternateId[],
    firstOwner: string | undefined,
  ): Promise<{ ref: ProfileRef; targetId: string | undefined }> {
    const first = ids[0]!;
    let ref: ProfileRef;
    if (isIdentifierType(first.type)) {
      ref = { kind: 'identifier', type: first.type, value: first.value };
    } else {
      if (firstOwner) return { ref: { kind: 'id', id: firstOwner }, targetId: firstOwner };
      // A new profile is created under a unique identifier: the first one given, else a new one.
      const creator = ids.find(
        (i) => isIdentifierType(i.type) && UNIQUE_IDENTIFIER_TYPES.has(i.type),
      );
      ref =
        creator && isIdentifierType(creator.type)
          ? { kind: 'identifier', type: creator.type, value: creator.value }
          : { kind: 'identifier', type: 'anonymousId', value: newId() };
    }
    const profiles = await this.queries.findProfiles(environmentId, ref);
    if (profiles.length > 1 && ref.kind === 'identifier') {
      throw new AppError(
        'identity_conflict',
        `Several profiles share the ${ref.type} ${ref.value}; name the profile by another id.`,
      );
    }
    return { ref, targetId: profiles[0]?.id };
  }

  /**
   * Refuses, before anything is written, a unique identifier (userId, anonymousId, customId)
   * that a profile other than the target holds: it names another person, and profiles are
   * merged on request only, never by an upsert.
   */
  private async checkUniqueOwners(
    environmentId: string,
    identifiers: Identifier[],
    targetId: string | undefined,
  ): Promise<void> {
    const unique = identifiers.filter((i) => UNIQUE_IDENTIFIER_TYPES.has(i.type));
    const holders = await Promise.all(
      unique.map((id) => this.queries.findProfiles(environmentId, { kind: 'identifier', ...id })),
    );
    const taken = unique.findIndex((_, k) => holders[k]!.some((p) => p.id !== targetId));
    if (taken !== -1) {
      throw new AppError(
        'identity_conflict',
        `The ${unique[taken]!.type} ${unique[taken]!.value} belongs to another profile.`,
      );
    }
  }
}

function checkFieldNames(fields: Record<string, unknown>): void {
  const bad = Object.keys(fields).filter((name) => name.length === 0 || name.length > 100);
  if (bad.length > 0) {
    throw new AppError(
      'validation_failed',
      undefined,
      bad.map((name) => ({
        field: `customFields.${name}`,
        message: 'names are 1 to 100 characters',
      })),
    );
  }
}
