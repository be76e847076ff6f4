import type { Kysely, Selectable, Transaction } from 'kysely';
import { type RowTarget, type RowWrite, rowTarget } from '../../storage/row-writes.js';
import type { AudienceEventsTable, Database, DefinitionsTable } from '../../storage/schema.js';

export type DefinitionTable = 'audiences' | 'experiences';
export type DefinitionRow = Selectable<DefinitionsTable>;

/** SQL for audience and experience definitions and the audience entry/exit log. */
export class DefinitionStore {
  /** Entries and exits, written with the profile writes that make them. */
  private readonly entries: RowTarget;

  constructor(private readonly db: Kysely<Database>) {
    const row: AudienceEventsTable = {
      id: '',
      environment_id: '',
      profile_id: '',
      audience_id: '',
      kind: 'entered',
      at: 0,
    };
    this.entries = rowTarget('audience_events', 6, (n) =>
      db.insertInto('audience_events').values(Array.from({ length: n }, () => row)),
    );
  }

  findById(
    table: DefinitionTable,
    environmentId: string,
    id: string,
  ): Promise<DefinitionRow | undefined> {
    return this.db
      .selectFrom(table)
      .selectAll()
      .where('environment_id', '=', environmentId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  findAll(
    table: DefinitionTable,
    environmentId: string,
    status?: 'published',
  ): Promise<DefinitionRow[]> {
    let query = this.db.selectFrom(table).selectAll().where('environment_id', '=', environmentId);
    if (status) query = query.where('status', '=', status);
    return query.orderBy('id').execute();
  }

  /** The newest change time of an environment's definitions (cache invalidation across processes). */
  async lastChange(environmentId: string): Promise<number> {
    let latest = 0;
    for (const table of ['audiences', 'experiences'] as const) {
      const row = await this.db
        .selectFrom(table)
        .select((eb) => eb.fn.max('updated_at').as('latest'))
        .where('environment_id', '=', environmentId)
        .executeTakeFirst();
      latest = Math.max(latest, Number(row?.latest ?? 0));
    }
    return latest;
  }

  /** Inserts a new definition; one of that id already there fails with a unique violation. */
  async insert(table: DefinitionTable, row: DefinitionRow): Promise<void> {
    await this.db.insertInto(table).values(row).execute();
  }

  async upsert(table: DefinitionTable, row: DefinitionRow): Promise<void> {
    await this.db
      .insertInto(table)
      .values(row)
      .onConflict((oc) =>
        oc.columns(['environment_id', 'id']).doUpdateSet({
          definition: row.definition,
          status: row.status,
          updated_at: row.updated_at,
        }),
      )
      .execute();
  }

  async delete(table: DefinitionTable, environmentId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom(table)
      .where('environment_id', '=', environmentId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Entry and exit rows to write (see row-writes.ts). */
  audienceEventRows(rows: AudienceEventsTable[]): RowWrite {
    return {
      target: this.entries,
      values: rows.flatMap((r) => [
        r.id,
        r.environment_id,
        r.profile_id,
        r.audience_id,
        r.kind,
        r.at,
      ]),
    };
  }

  findAudienceEvents(
    environmentId: string,
    profileIds: string[],
  ): Promise<Selectable<AudienceEventsTable>[]> {
    return this.db
      .selectFrom('audience_events')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .where('profile_id', 'in', profileIds)
      .orderBy('at')
      .orderBy('id')
      .limit(1000)
      .execute();
  }

  async deleteAudienceEvents(trx: Transaction<Database>, profileIds: string[]): Promise<void> {
    if (profileIds.length > 0)
      await trx.deleteFrom('audience_events').where('profile_id', 'in', profileIds).execute();
  }

  /** How many audience entries/exits these profiles have (erasure checklists). */
  async countAudienceEvents(profileIds: string[]): Promise<number> {
    if (profileIds.length === 0) return 0;
    const row = await this.db
      .selectFrom('audience_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('profile_id', 'in', profileIds)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
