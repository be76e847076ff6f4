import type { Transaction } from 'kysely';
import type { Database } from '../../storage/schema.js';
import {
  type AnnotationSubject,
  type AnnotationWriteGuard,
  Checks,
  type LiveIdResolver,
  treeOf,
} from './annotation-types.js';
import type { LabelKind, LabelStore } from './label-store.js';

export const LABEL_NAME_MAX = 100;
/** Longest indexed field value; longer values are kept in the traits but cannot be searched. */
export const LABEL_VALUE_MAX = 500;
export const LABEL_SEARCH_MAX = 100;

/** How a custom field's value is indexed and searched: strings as they are, the rest as JSON. */
export function fieldText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Group memberships and the search index of custom fields (the MyPreferences document's Groups
 * and Custom Fields, either of which may retrieve several profiles). Custom field values
 * themselves are traits, written through ingestion (so a late event never overwrites a newer
 * value); after each write the caller passes the values the document ended with to
 * {@link indexFields}. The index is a lookup aid: searchers check hits against the document.
 */
export class LabelService {
  constructor(
    private readonly store: LabelStore,
    private readonly guard: AnnotationWriteGuard,
    private readonly liveId: LiveIdResolver,
    private readonly now: () => number,
  ) {}

  /**
   * Adds the profile to these groups (checked with {@link checkGroupNames}; already a member: no
   * change), in the transaction that writes the profile (see `ProfileClaims.alongside`).
   */
  async addGroups(
    trx: Transaction<Database>,
    environmentId: string,
    profile: AnnotationSubject,
    names: string[],
  ): Promise<void> {
    for (const name of names) {
      await this.store.upsert(trx, this.row(environmentId, profile, 'group', name.trim(), ''));
    }
  }

  /** Takes the profile (and the profiles merged into it) out of a group. */
  async removeGroup(
    environmentId: string,
    profile: AnnotationSubject,
    name: string,
  ): Promise<void> {
    await this.guard(environmentId, profile.id, (trx) =>
      this.store.delete(trx, treeOf(profile), 'group', name.trim()),
    );
  }

  /** The profile's groups (with the profiles merged into it), by name, each once. */
  async groupsOf(environmentId: string, profile: AnnotationSubject): Promise<string[]> {
    const rows = await this.store.findByProfiles(environmentId, treeOf(profile), 'group');
    return [...new Set(rows.map((r) => r.name))];
  }

  /**
   * Indexes custom field values as the profile's document holds them (null: the field is
   * cleared), in the transaction that writes the profile (see `ProfileClaims.alongside`). Values
   * longer than {@link LABEL_VALUE_MAX} as text are left out of the index.
   */
  async indexFields(
    trx: Transaction<Database>,
    environmentId: string,
    profile: AnnotationSubject,
    fields: Record<string, unknown>,
  ): Promise<void> {
    for (const [name, value] of Object.entries(fields)) {
      // Rows of merged profiles go too: the survivor's value is the one that counts.
      await this.store.delete(trx, treeOf(profile), 'field', name);
      const text = value === null || value === undefined ? null : fieldText(value);
      if (text === null || text.length > LABEL_VALUE_MAX) continue;
      await this.store.upsert(trx, this.row(environmentId, profile, 'field', name, text));
    }
  }

  /** Live profile ids in a group, each once (at most {@link LABEL_SEARCH_MAX}). */
  profilesInGroup(environmentId: string, name: string): Promise<string[]> {
    return this.search(environmentId, 'group', name.trim(), '');
  }

  /** Live profile ids whose custom field was indexed with this value (check the document). */
  profilesWithField(environmentId: string, name: string, value: unknown): Promise<string[]> {
    return this.search(environmentId, 'field', name, fieldText(value));
  }

  private async search(
    environmentId: string,
    kind: LabelKind,
    name: string,
    value: string,
  ): Promise<string[]> {
    const raw = await this.store.findProfileIds(environmentId, kind, name, value, LABEL_SEARCH_MAX);
    const live = new Set<string>();
    for (const id of raw) {
      const current = await this.liveId(environmentId, id);
      if (current) live.add(current);
    }
    return [...live];
  }

  private row(
    environmentId: string,
    profile: AnnotationSubject,
    kind: LabelKind,
    name: string,
    value: string,
  ) {
    return {
      profile_id: profile.id,
      kind,
      name,
      value,
      environment_id: environmentId,
      updated_at: this.now(),
    };
  }
}

/** Refuses blank or overlong group names, before anything is written. */
export function checkGroupNames(names: string[]): void {
  const checks = new Checks();
  names.forEach((name, i) => {
    checks.text(`groups[${i}]`, name, LABEL_NAME_MAX, true);
  });
  checks.throwIfAny();
}
