import type { Kysely, Transaction } from 'kysely';
import type { Database, ProfileNotesTable } from '../../storage/schema.js';
import type { Note } from './annotation-types.js';

type Db = Kysely<Database> | Transaction<Database>;

/** The only SQL on `profile_notes`. */
export class NoteStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Notes of these profiles, oldest first. */
  async findByProfiles(
    environmentId: string,
    profileIds: string[],
    limit: number,
  ): Promise<Note[]> {
    if (profileIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('profile_notes')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .where('profile_id', 'in', profileIds)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(noteOf);
  }

  /** One note, if it belongs to one of these profiles. */
  async findById(
    environmentId: string,
    profileIds: string[],
    id: string,
    db: Db = this.db,
  ): Promise<Note | undefined> {
    if (profileIds.length === 0) return undefined;
    const row = await db
      .selectFrom('profile_notes')
      .selectAll()
      .where('id', '=', id)
      .where('environment_id', '=', environmentId)
      .where('profile_id', 'in', profileIds)
      .executeTakeFirst();
    return row && noteOf(row);
  }

  async insert(trx: Transaction<Database>, row: ProfileNotesTable): Promise<void> {
    await trx.insertInto('profile_notes').values(row).execute();
  }

  async update(
    trx: Transaction<Database>,
    id: string,
    set: Partial<Pick<ProfileNotesTable, 'subject' | 'content' | 'updated_at'>>,
  ): Promise<void> {
    await trx.updateTable('profile_notes').set(set).where('id', '=', id).execute();
  }

  async delete(trx: Transaction<Database>, id: string): Promise<void> {
    await trx.deleteFrom('profile_notes').where('id', '=', id).execute();
  }

  async deleteByProfiles(trx: Transaction<Database>, profileIds: string[]): Promise<void> {
    if (profileIds.length === 0) return;
    await trx.deleteFrom('profile_notes').where('profile_id', 'in', profileIds).execute();
  }

  async countByProfiles(profileIds: string[]): Promise<number> {
    if (profileIds.length === 0) return 0;
    const row = await this.db
      .selectFrom('profile_notes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('profile_id', 'in', profileIds)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

function noteOf(row: ProfileNotesTable): Note {
  return {
    id: row.id,
    profileId: row.profile_id,
    subject: row.subject,
    content: row.content,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
