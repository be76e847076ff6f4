import type { Kysely, Transaction } from 'kysely';
import type { Database, TagsTable } from '../../storage/schema.js';
import type { ProfileTag, Tag } from './annotation-types.js';

type Db = Kysely<Database> | Transaction<Database>;

/** The only SQL on `tags` and `profile_tags`. */
export class TagStore {
  constructor(private readonly db: Kysely<Database>) {}

  async list(environmentId: string, limit: number): Promise<Tag[]> {
    const rows = await this.db
      .selectFrom('tags')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .orderBy('name')
      .limit(limit)
      .execute();
    return rows.map(tagOf);
  }

  async findById(environmentId: string, id: string, db: Db = this.db): Promise<Tag | undefined> {
    const row = await db
      .selectFrom('tags')
      .selectAll()
      .where('id', '=', id)
      .where('environment_id', '=', environmentId)
      .executeTakeFirst();
    return row && tagOf(row);
  }

  async findByName(
    environmentId: string,
    name: string,
    db: Db = this.db,
  ): Promise<Tag | undefined> {
    const row = await db
      .selectFrom('tags')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && tagOf(row);
  }

  async insert(trx: Transaction<Database>, row: TagsTable): Promise<void> {
    await trx.insertInto('tags').values(row).execute();
  }

  /** Inserts the tag unless its name is taken (then changes nothing). */
  async insertIfFree(trx: Transaction<Database>, row: TagsTable): Promise<void> {
    await trx
      .insertInto('tags')
      .values(row)
      .onConflict((oc) => oc.columns(['environment_id', 'name']).doNothing())
      .execute();
  }

  async update(
    trx: Transaction<Database>,
    id: string,
    set: Partial<Pick<TagsTable, 'name' | 'description' | 'color' | 'updated_at'>>,
  ): Promise<void> {
    await trx.updateTable('tags').set(set).where('id', '=', id).execute();
  }

  /** Deletes a tag with every assignment of it. */
  async delete(trx: Transaction<Database>, id: string): Promise<void> {
    await trx.deleteFrom('profile_tags').where('tag_id', '=', id).execute();
    await trx.deleteFrom('tags').where('id', '=', id).execute();
  }

  /** Assigns a tag; assigning it again changes nothing. */
  async assign(
    trx: Transaction<Database>,
    row: { environment_id: string; profile_id: string; tag_id: string; assigned_at: number },
  ): Promise<void> {
    await trx
      .insertInto('profile_tags')
      .values(row)
      .onConflict((oc) => oc.columns(['profile_id', 'tag_id']).doNothing())
      .execute();
  }

  /** Removes a tag from these profiles; answers how many assignments there were. */
  async unassign(trx: Transaction<Database>, profileIds: string[], tagId: string): Promise<number> {
    if (profileIds.length === 0) return 0;
    const result = await trx
      .deleteFrom('profile_tags')
      .where('tag_id', '=', tagId)
      .where('profile_id', 'in', profileIds)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Tags assigned to these profiles, one row per assignment (with the profile it is on). */
  async findOfProfiles(
    environmentId: string,
    profileIds: string[],
  ): Promise<Array<ProfileTag & { profileId: string }>> {
    if (profileIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('profile_tags')
      .innerJoin('tags', 'tags.id', 'profile_tags.tag_id')
      .selectAll('tags')
      .select(['profile_tags.assigned_at', 'profile_tags.profile_id'])
      .where('profile_tags.profile_id', 'in', profileIds)
      .where('tags.environment_id', '=', environmentId)
      .orderBy('tags.name')
      .execute();
    return rows.map((r) => ({
      ...tagOf(r),
      assignedAt: Number(r.assigned_at),
      profileId: r.profile_id,
    }));
  }

  /** Profile ids holding a tag, in id order after `afterId` (as assigned: maybe merged away). */
  async findProfileIds(
    tagId: string,
    afterId: string | undefined,
    limit: number,
  ): Promise<string[]> {
    let query = this.db.selectFrom('profile_tags').select('profile_id').where('tag_id', '=', tagId);
    if (afterId !== undefined) query = query.where('profile_id', '>', afterId);
    const rows = await query.orderBy('profile_id').limit(limit).execute();
    return rows.map((r) => r.profile_id);
  }

  async deleteByProfiles(trx: Transaction<Database>, profileIds: string[]): Promise<void> {
    if (profileIds.length === 0) return;
    await trx.deleteFrom('profile_tags').where('profile_id', 'in', profileIds).execute();
  }

  async countByProfiles(profileIds: string[]): Promise<number> {
    if (profileIds.length === 0) return 0;
    const row = await this.db
      .selectFrom('profile_tags')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('profile_id', 'in', profileIds)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

function tagOf(row: TagsTable): Tag {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    color: row.color,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
