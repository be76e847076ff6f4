import type { Transaction } from 'kysely';
import { AppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import { isUniqueViolation } from '../../storage/errors.js';
import type { Database } from '../../storage/schema.js';
import type { Storage } from '../../storage/storage.js';
import {
  type AnnotationSubject,
  type AnnotationWriteGuard,
  Checks,
  type LiveIdResolver,
  type ProfileTag,
  type Tag,
  treeOf,
} from './annotation-types.js';
import type { TagStore } from './tag-store.js';

export const TAG_NAME_MAX = 100;
export const TAG_DESCRIPTION_MAX = 500;
export const TAG_COLOR_MAX = 32;
/** Tags one environment lists at most. */
export const TAGS_LIST_MAX = 1_000;

export interface TagInput {
  /** Unique per environment (compared exactly, after trimming spaces). */
  name: string;
  /** null clears it on update. */
  description?: string | null;
  /** Free text such as `#ff8800`; null clears it on update. */
  color?: string | null;
}

/**
 * Tags: defined once per environment, assigned to profiles. Deleting a tag removes its
 * assignments. Assignments belong to the profile they were made on; a profile's tags include
 * those of the profiles merged into it. Unknown (or another environment's) tag ids answer
 * `not_found`; a name already used answers `conflict` (409).
 */
export class TagService {
  constructor(
    private readonly storage: Storage,
    private readonly store: TagStore,
    private readonly guard: AnnotationWriteGuard,
    private readonly liveId: LiveIdResolver,
    private readonly now: () => number,
  ) {}

  /** The environment's tags, by name. */
  listTags(environmentId: string): Promise<Tag[]> {
    return this.store.list(environmentId, TAGS_LIST_MAX);
  }

  async getTag(environmentId: string, tagId: string): Promise<Tag> {
    const tag = await this.store.findById(environmentId, tagId);
    if (!tag) throw notFound();
    return tag;
  }

  /** Defines a tag; `conflict` when the name is taken. */
  async createTag(environmentId: string, input: TagInput): Promise<Tag> {
    validate(input, true);
    const name = input.name.trim();
    return this.uniqueName(name, () =>
      this.storage.write(async (trx) => {
        if (await this.store.findByName(environmentId, name, trx)) throw nameTaken(name);
        const tag = this.newTag(name, input);
        await this.store.insert(trx, rowOf(environmentId, tag));
        return tag;
      }),
    );
  }

  /** Changes the fields given; renaming onto a name in use answers `conflict`. */
  async updateTag(environmentId: string, tagId: string, input: Partial<TagInput>): Promise<Tag> {
    validate(input, false);
    const name = input.name?.trim();
    return this.uniqueName(name ?? '', () =>
      this.storage.write(async (trx) => {
        const tag = await this.store.findById(environmentId, tagId, trx);
        if (!tag) throw notFound();
        if (name !== undefined && name !== tag.name) {
          if (await this.store.findByName(environmentId, name, trx)) throw nameTaken(name);
        }
        const updated: Tag = {
          ...tag,
          name: name ?? tag.name,
          description: input.description === undefined ? tag.description : input.description,
          color: input.color === undefined ? tag.color : input.color,
          updatedAt: this.now(),
        };
        await this.store.update(trx, tagId, {
          name: updated.name,
          description: updated.description,
          color: updated.color,
          updated_at: updated.updatedAt,
        });
        return updated;
      }),
    );
  }

  /** Deletes a tag and every assignment of it. */
  deleteTag(environmentId: string, tagId: string): Promise<void> {
    return this.storage.write(async (trx) => {
      if (!(await this.store.findById(environmentId, tagId, trx))) throw notFound();
      await this.store.delete(trx, tagId);
    });
  }

  /** Assigns a tag to the profile (again: no change); answers the tag. */
  assignTag(environmentId: string, profile: AnnotationSubject, tagId: string): Promise<Tag> {
    return this.guard(environmentId, profile.id, async (trx) => {
      const tag = await this.store.findById(environmentId, tagId, trx);
      if (!tag) throw notFound();
      await this.assignIn(trx, environmentId, profile, tag);
      return tag;
    });
  }

  /**
   * The write that assigns these tags by name to a profile, for `ProfileClaims.alongside` (the
   * names are checked now, before anything is written).
   */
  assignerByName(
    environmentId: string,
    names: string[],
  ): (trx: Transaction<Database>, profile: AnnotationSubject) => Promise<void> {
    checkTagNames(names);
    return async (trx, profile) => {
      for (const name of names) await this.assignTagByName(trx, environmentId, profile, name);
    };
  }

  /**
   * Assigns the tag of this name (checked with {@link checkTagNames}), defining it first when the
   * environment has none (dialects such as MyPreferences and 001 name tags instead of referring
   * to ids), in the transaction that writes the profile (see `ProfileClaims.alongside`).
   */
  async assignTagByName(
    trx: Transaction<Database>,
    environmentId: string,
    profile: AnnotationSubject,
    name: string,
  ): Promise<void> {
    const trimmed = name.trim();
    // Defined if new; a concurrent definition of the name (another process) wins, and is used.
    await this.store.insertIfFree(trx, rowOf(environmentId, this.newTag(trimmed, {})));
    const tag = (await this.store.findByName(environmentId, trimmed, trx))!;
    await this.assignIn(trx, environmentId, profile, tag);
  }

  /**
   * Takes a tag off the profile (and off the profiles merged into it); answers whether it was
   * assigned. An unknown tag id answers `not_found`.
   */
  removeTag(environmentId: string, profile: AnnotationSubject, tagId: string): Promise<boolean> {
    return this.guard(environmentId, profile.id, async (trx) => {
      if (!(await this.store.findById(environmentId, tagId, trx))) throw notFound();
      return (await this.store.unassign(trx, treeOf(profile), tagId)) > 0;
    });
  }

  /** The profile's tags (with the profiles merged into it), by name, each once. */
  async tagsOfProfile(environmentId: string, profile: AnnotationSubject): Promise<ProfileTag[]> {
    return (await this.tagsOfProfiles(environmentId, [profile])).get(profile.id) ?? [];
  }

  /**
   * The tags of a page of profiles (each with the profiles merged into it), by name, each once,
   * keyed by profile id: one query, for listings and exports. Profiles without tags are absent.
   */
  async tagsOfProfiles(
    environmentId: string,
    profiles: readonly AnnotationSubject[],
  ): Promise<Map<string, ProfileTag[]>> {
    const ownerOf = new Map<string, string>();
    for (const profile of profiles) for (const id of treeOf(profile)) ownerOf.set(id, profile.id);
    const seen = new Map<string, Map<string, ProfileTag>>();
    for (const row of await this.store.findOfProfiles(environmentId, [...ownerOf.keys()])) {
      const { profileId, ...tag } = row;
      const owner = ownerOf.get(profileId)!;
      const tags = seen.get(owner) ?? new Map<string, ProfileTag>();
      const earlier = tags.get(tag.id);
      if (!earlier || tag.assignedAt < earlier.assignedAt) tags.set(tag.id, tag);
      seen.set(owner, tags);
    }
    return new Map([...seen].map(([id, tags]) => [id, [...tags.values()]]));
  }

  /**
   * Live profile ids that hold the tag of this name (an assignment made on a profile since
   * merged counts for its survivor), in assignment-row order: pass the last raw id seen as
   * `after` for the next page. Unknown names answer an empty list.
   */
  async profilesWithTag(
    environmentId: string,
    tagName: string,
    page: { after?: string; limit?: number } = {},
  ): Promise<{ profileIds: string[]; next: string | null }> {
    const tag = await this.store.findByName(environmentId, tagName.trim());
    if (!tag) return { profileIds: [], next: null };
    const limit = Math.min(Math.max(page.limit ?? 100, 1), TAGS_LIST_MAX);
    const raw = await this.store.findProfileIds(tag.id, page.after, limit);
    const live = new Set<string>();
    for (const id of raw) {
      const current = await this.liveId(environmentId, id);
      if (current) live.add(current);
    }
    return { profileIds: [...live], next: raw.length === limit ? raw.at(-1)! : null };
  }

  private async assignIn(
    trx: Transaction<Database>,
    environmentId: string,
    profile: AnnotationSubject,
    tag: Tag,
  ): Promise<void> {
    await this.store.assign(trx, {
      environment_id: environmentId,
      profile_id: profile.id,
      tag_id: tag.id,
      assigned_at: this.now(),
    });
  }

  private newTag(name: string, input: Partial<TagInput>): Tag {
    const at = this.now();
    return {
      id: newId(),
      name,
      description: input.description ?? null,
      color: input.color ?? null,
      createdAt: at,
      updatedAt: at,
    };
  }

  /** Turns the unique index's refusal (a concurrent process took the name) into `conflict`. */
  private async uniqueName<T>(name: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(name);
      throw error;
    }
  }
}

function rowOf(environmentId: string, tag: Tag) {
  return {
    id: tag.id,
    environment_id: environmentId,
    name: tag.name,
    description: tag.description,
    color: tag.color,
    created_at: tag.createdAt,
    updated_at: tag.updatedAt,
  };
}

function notFound(): AppError {
  return new AppError('not_found', 'Tag not found.');
}

function nameTaken(name: string): AppError {
  return new AppError('conflict', `A tag named "${name}" already exists.`);
}

/** Refuses blank or overlong tag names, before anything is written. */
function checkTagNames(names: string[]): void {
  const checks = new Checks();
  names.forEach((name, i) => {
    checks.text(`tags[${i}]`, name, TAG_NAME_MAX, true);
  });
  checks.throwIfAny();
}

function validate(input: Partial<TagInput>, creating: boolean): void {
  const checks = new Checks();
  checks.text('name', input.name, TAG_NAME_MAX, creating || input.name !== undefined);
  checks.text('description', input.description, TAG_DESCRIPTION_MAX, false);
  checks.text('color', input.color, TAG_COLOR_MAX, false);
  checks.throwIfAny();
}
