import type { Kysely, Transaction } from 'kysely';
import type { Database, ProfileLabelsTable } from '../../storage/schema.js';

export type LabelKind = ProfileLabelsTable['kind'];

/** The only SQL on `profile_labels`. */
export class LabelStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Sets a label (a group, or a field's indexed value), replacing the profile's previous one. */
  async upsert(trx: Transaction<Database>, row: ProfileLabelsTable): Promise<void> {
    await trx
      .insertInto('profile_labels')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['profile_id', 'kind', 'name'])
          .doUpdateSet({ value: row.value, updated_at: row.updated_at }),
      )
      .execute();
  }

  async delete(
    trx: Transaction<Database>,
    profileIds: string[],
    kind: LabelKind,
    name: string,
  ): Promise<void> {
    if (profileIds.length === 0) return;
    await trx
      .deleteFrom('profile_labels')
      .where('profile_id', 'in', profileIds)
      .where('kind', '=', kind)
      .where('name', '=', name)
      .execute();
  }

  async findByProfiles(
    environmentId: string,
    profileIds: string[],
    kind: LabelKind,
  ): Promise<Array<{ name: string; value: string; profileId: string }>> {
    if (profileIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('profile_labels')
      .select(['name', 'value', 'profile_id'])
      .where('profile_id', 'in', profileIds)
      .where('kind', '=', kind)
      .where('environment_id', '=', environmentId)
      .orderBy('name')
      .execute();
    return rows.map((r) => ({ name: r.name, value: r.value, profileId: r.profile_id }));
  }

  /** Profile ids (as written: maybe merged away since) with this label and value. */
  async findProfileIds(
    environmentId: string,
    kind: LabelKind,
    name: string,
    value: string,
    limit: number,
  ): Promise<string[]> {
    const rows = await this.db
      .selectFrom('profile_labels')
      .select('profile_id')
      .where('environment_id', '=', environmentId)
      .where('kind', '=', kind)
      .where('name', '=', name)
      .where('value', '=', value)
      .orderBy('profile_id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.profile_id);
  }

  async deleteByProfiles(trx: Transaction<Database>, profileIds: string[]): Promise<void> {
    if (profileIds.length === 0) return;
    await trx.deleteFrom('profile_labels').where('profile_id', 'in', profileIds).execute();
  }

  async countByProfiles(profileIds: string[]): Promise<number> {
    if (profileIds.length === 0) return 0;
    const row = await this.db
      .selectFrom('profile_labels')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('profile_id', 'in', profileIds)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
