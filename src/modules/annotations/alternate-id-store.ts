import type { Kysely, Transaction } from 'kysely';
import type { Database, ProfileAlternateIdsTable } from '../../storage/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface StoredAlternateId {
  type: string;
  value: string;
  profileId: string;
}

/** The only SQL on `profile_alternate_ids`. */
export class AlternateIdStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** The profile an alternate id was written to (maybe merged away since). */
  async findOwner(
    environmentId: string,
    type: string,
    value: string,
    db: Db = this.db,
  ): Promise<string | undefined> {
    const row = await db
      .selectFrom('profile_alternate_ids')
      .select('profile_id')
      .where('environment_id', '=', environmentId)
      .where('type', '=', type)
      .where('value', '=', value)
      .executeTakeFirst();
    return row?.profile_id;
  }

  async findByProfiles(environmentId: string, profileIds: string[]): Promise<StoredAlternateId[]> {
    if (profileIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('profile_alternate_ids')
      .select(['type', 'value', 'profile_id'])
      .where('profile_id', 'in', profileIds)
      .where('environment_id', '=', environmentId)
      .orderBy('created_at')
      .orderBy('type')
      .orderBy('value')
      .execute();
    return rows.map((r) => ({ type: r.type, value: r.value, profileId: r.profile_id }));
  }

  /** Inserts unless the id is taken (by anyone: the caller checks who holds it after). */
  async insertIfFree(trx: Transaction<Database>, row: ProfileAlternateIdsTable): Promise<void> {
    await trx
      .insertInto('profile_alternate_ids')
      .values(row)
      .onConflict((oc) => oc.columns(['environment_id', 'type', 'value']).doNothing())
      .execute();
  }

  async deleteByProfiles(trx: Transaction<Database>, profileIds: string[]): Promise<void> {
    if (profileIds.length === 0) return;
    await trx.deleteFrom('profile_alternate_ids').where('profile_id', 'in', profileIds).execute();
  }

  async countByProfiles(profileIds: string[]): Promise<number> {
    if (profileIds.length === 0) return 0;
    const row = await this.db
      .selectFrom('profile_alternate_ids')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('profile_id', 'in', profileIds)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
