import type { Transaction } from 'kysely';
import { AppError } from '../../errors/app-error.js';
import type { Database } from '../../storage/schema.js';
import type { AlternateIdStore } from './alternate-id-store.js';
import { type AnnotationSubject, Checks, type LiveIdResolver, treeOf } from './annotation-types.js';

export const ALTERNATE_ID_TYPE_MAX = 50;
export const ALTERNATE_ID_VALUE_MAX = 200;

/** A system or device identifier (`{type: "CRM", value: "123"}`). */
export interface AlternateId {
  type: string;
  value: string;
}

/**
 * Alternate ids: identifiers of other systems and devices that Tessera's identity layer does not
 * model (the MyPreferences document's AlternateIds). Each names at most one profile per
 * environment, compared exactly; linking one that another profile holds answers
 * `identity_conflict` (profiles are never merged silently). Ids written to a profile since merged
 * resolve to the survivor.
 */
export class AlternateIdService {
  constructor(
    private readonly store: AlternateIdStore,
    private readonly liveId: LiveIdResolver,
    private readonly now: () => number,
  ) {}

  /** The profile's alternate ids (with those of the profiles merged into it), oldest first. */
  async alternateIdsOf(environmentId: string, profile: AnnotationSubject): Promise<AlternateId[]> {
    const rows = await this.store.findByProfiles(environmentId, treeOf(profile));
    return rows.map(({ type, value }) => ({ type, value }));
  }

  /** The live profile an alternate id names, if any. */
  async findProfileId(environmentId: string, id: AlternateId): Promise<string | undefined> {
    const owner = await this.store.findOwner(environmentId, id.type, id.value);
    return owner === undefined ? undefined : this.liveId(environmentId, owner);
  }

  /**
   * Links alternate ids (checked with {@link checkAlternateIds}) to the profile, in the
   * transaction that writes the profile (see `ProfileClaims.alongside`); those it holds already
   * change nothing. One another profile holds is `identity_conflict`, and the caller's whole
   * write rolls back with it: an id taken by another process meanwhile leaves no new profile.
   */
  async linkAlternateIds(
    trx: Transaction<Database>,
    environmentId: string,
    profile: AnnotationSubject,
    ids: AlternateId[],
  ): Promise<void> {
    const tree = new Set(treeOf(profile));
    for (const id of ids) {
      await this.store.insertIfFree(trx, {
        environment_id: environmentId,
        type: id.type,
        value: id.value,
        profile_id: profile.id,
        created_at: this.now(),
      });
      const owner = await this.store.findOwner(environmentId, id.type, id.value, trx);
      if (owner !== undefined && !tree.has(owner)) {
        throw new AppError(
          'identity_conflict',
          `The alternate id ${id.type}:${id.value} belongs to another profile.`,
        );
      }
    }
  }
}

/** Refuses blank or overlong alternate ids, before anything is written. */
export function checkAlternateIds(ids: AlternateId[]): void {
  const checks = new Checks();
  ids.forEach((id, i) => {
    checks.text(`alternateIds[${i}].type`, id.type, ALTERNATE_ID_TYPE_MAX, true);
    checks.text(`alternateIds[${i}].value`, id.value, ALTERNATE_ID_VALUE_MAX, true);
  });
  checks.throwIfAny();
}
