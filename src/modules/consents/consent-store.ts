import type { Kysely, Transaction } from 'kysely';
import type { DataPointRecord } from '../../engine/consent-types.js';
import type {
  ConsentCurrentTable,
  ConsentHistoryTable,
  ConsentPoliciesTable,
  Database,
} from '../../storage/schema.js';

export type DataPointKind = 'consent' | 'preference';

/** A data point's newest record, with the profile and history entry it comes from. */
export interface CurrentRow {
  profileId: string;
  historyId: string;
  record: DataPointRecord;
}

/** A history entry as stored. */
export interface HistoryRow {
  id: string;
  profileId: string;
  change: 'set' | 'lapsed';
  at: number;
  recordedAt: number;
  record: DataPointRecord;
}

export interface HistoryQuery {
  environmentId: string;
  profileIds: string[];
  kind: DataPointKind;
  subject?: string;
  target?: string;
  /** Entries recorded after this id (a page cursor). */
  afterId?: string;
  limit: number;
}

/**
 * The only SQL on the consent tables. Methods that take an executor run either on the database
 * or inside the caller's write transaction (inside a write job, never query `db`: on SQLite its
 * one connection is busy with the transaction).
 */
export class ConsentStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** Current rows of profiles, oldest history entry first (so the last per key is the newest). */
  async findCurrent(
    environmentId: string,
    profileIds: string[],
    kind: DataPointKind,
    filter: { subjects?: string[]; target?: string } = {},
    executor: Kysely<Database> = this.db,
  ): Promise<CurrentRow[]> {
    if (profileIds.length === 0 || filter.subjects?.length === 0) return [];
    let query = executor
      .selectFrom('consent_current')
      .select(['profile_id', 'history_id', 'record'])
      .where('environment_id', '=', environmentId)
      .where('profile_id', 'in', profileIds)
      .where('kind', '=', kind);
    if (filter.subjects) query = query.where('subject', 'in', filter.subjects);
    if (filter.target !== undefined) query = query.where('target', '=', filter.target);
    const rows = await query.orderBy('history_id').execute();
    return rows.map((r) => ({
      profileId: r.profile_id,
      historyId: r.history_id,
      record: JSON.parse(r.record) as DataPointRecord,
    }));
  }

  async findHistory(q: HistoryQuery): Promise<HistoryRow[]> {
    if (q.profileIds.length === 0) return [];
    let query = this.db
      .selectFrom('consent_history')
      .select(['id', 'profile_id', 'change', 'at', 'recorded_at', 'record'])
      .where('environment_id', '=', q.environmentId)
      .where('profile_id', 'in', q.profileIds)
      .where('kind', '=', q.kind);
    if (q.subject !== undefined) query = query.where('subject', '=', q.subject);
    if (q.target !== undefined) query = query.where('target', '=', q.target);
    if (q.afterId !== undefined) query = query.where('id', '>', q.afterId);
    const rows = await query.orderBy('id').limit(q.limit).execute();
    return rows.map((r) => ({
      id: r.id,
      profileId: r.profile_id,
      change: r.change,
      at: Number(r.at),
      recordedAt: Number(r.recorded_at),
      record: JSON.parse(r.record) as DataPointRecord,
    }));
  }

  /** Appends history entries (the only write ever made to that table besides erasure). */
  async appendHistory(trx: Transaction<Database>, rows: ConsentHistoryTable[]): Promise<void> {
    if (rows.length > 0) await trx.insertInto('consent_history').values(rows).execute();
  }

  /** Makes `row` the data point's current record, unless a newer history entry already is. */
  async upsertCurrent(trx: Transaction<Database>, row: ConsentCurrentTable): Promise<void> {
    await trx
      .insertInto('consent_current')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['profile_id', 'kind', 'subject', 'target'])
          .doUpdateSet({
            environment_id: row.environment_id,
            history_id: row.history_id,
            record: row.record,
            updated_at: row.updated_at,
          })
          .where('consent_current.history_id', '<', row.history_id),
      )
      .execute();
  }

  /**
   * Replaces the current row's record only while it still copies `expectedHistoryId`: of two
   * processes noticing the same lapse, one wins and only it appends the lapse entry.
   */
  async replaceCurrentIf(
    trx: Transaction<Database>,
    key: { profileId: string; kind: DataPointKind; subject: string; target: string },
    expectedHistoryId: string,
    next: { historyId: string; record: string; updatedAt: number },
  ): Promise<boolean> {
    const result = await trx
      .updateTable('consent_current')
      .set({ history_id: next.historyId, record: next.record, updated_at: next.updatedAt })
      .where('profile_id', '=', key.profileId)
      .where('kind', '=', key.kind)
      .where('subject', '=', key.subject)
      .where('target', '=', key.target)
      .where('history_id', '=', expectedHistoryId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Erasure: every consent and preference row of these profiles, history included. Current rows
   * first: a lapse being recorded holds its current row (PostgreSQL), so the erasure waits for it
   * there and then finds the history entry it appended.
   */
  async deleteByProfiles(trx: Transaction<Database>, profileIds: string[]): Promise<void> {
    if (profileIds.length === 0) return;
    await trx.deleteFrom('consent_current').where('profile_id', 'in', profileIds).execute();
    await trx.deleteFrom('consent_history').where('profile_id', 'in', profileIds).execute();
  }

  /** Rows kept about these profiles, per table (erasure checklists). */
  async countByProfiles(profileIds: string[]): Promise<Record<string, number>> {
    const counts: Record<string, number> = { consent_history: 0, consent_current: 0 };
    if (profileIds.length === 0) return counts;
    for (const table of ['consent_history', 'consent_current'] as const) {
      const row = await this.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('profile_id', 'in', profileIds)
        .executeTakeFirstOrThrow();
      counts[table] = Number(row.n);
    }
    return counts;
  }

  /** Every published version of the environment's purposes (all purposes when none given). */
  async findPolicies(environmentId: string, purposes?: string[]): Promise<ConsentPoliciesTable[]> {
    if (purposes?.length === 0) return [];
    let query = this.db
      .selectFrom('consent_policies')
      .selectAll()
      .where('environment_id', '=', environmentId);
    if (purposes) query = query.where('purpose', 'in', purposes);
    const rows = await query.orderBy('id').execute();
    return rows.map((r) => ({ ...r, published_at: Number(r.published_at) }));
  }

  async insertPolicy(trx: Transaction<Database>, row: ConsentPoliciesTable): Promise<void> {
    await trx.insertInto('consent_policies').values(row).execute();
  }

  async findPolicyVersion(
    trx: Transaction<Database>,
    environmentId: string,
    purpose: string,
  ): Promise<ConsentPoliciesTable[]> {
    return trx
      .selectFrom('consent_policies')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .where('purpose', '=', purpose)
      .orderBy('id')
      .execute();
  }
}
