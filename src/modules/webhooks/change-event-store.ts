import { type Kysely, sql, type Transaction } from 'kysely';
import { parseStored } from '../../lib/json.js';
import type {
  ChangeEventsTable,
  Database,
  WebhookAttemptsTable,
  WebhookDeliveriesTable,
} from '../../storage/schema.js';
import type { StorageEngine } from '../../storage/storage.js';

export interface ChangeEvent {
  id: string;
  environmentId: string;
  type: string;
  profileId: string | null;
  occurredAt: number;
  payload: Record<string, unknown>;
}

export interface ChangeEventFilter {
  environmentId: string;
  subscriptionId?: string;
  profileId?: string;
  type?: string;
  /** Cursor: the id of the last event of the previous page. */
  after?: string;
  limit: number;
}

export function eventFromRow(row: ChangeEventsTable): ChangeEvent {
  return {
    id: row.id,
    environmentId: row.environment_id,
    type: row.type,
    profileId: row.profile_id,
    occurredAt: Number(row.occurred_at),
    payload: parseStored(row.payload),
  };
}

/** Change events, their outbox rows and the delivery log (modules/webhooks owns the tables). */
export class ChangeEventStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: StorageEngine,
    /** See {@link settledBefore}; 0 holds nothing back. */
    private readonly holdMs = 0,
  ) {}

  /**
   * The id below which the feed is settled. Event ids are time-ordered, made in the transaction
   * that writes them, but transactions may commit out of that order (on PostgreSQL, any
   * transactions; on SQLite, those of two processes within one millisecond): a poller that had
   * read past an id would never see an event committed later with a smaller one. So the feed
   * holds back the last `holdMs`, and on PostgreSQL stops before the oldest open transaction of
   * Tessera's (same application_name) began, less `holdMs` for the clocks of the processes that
   * make ids and a group transaction's BEGIN (sent with its first statements, after its first ids
   * are made). Other sessions (psql, a backup) hold nothing back.
   */
  private async settledBefore(): Promise<string> {
    let ms = Date.now();
    if (this.engine === 'postgres') {
      const { rows } = await sql<{ ms: string }>`
        select floor(extract(epoch from coalesce(min(xact_start), now())) * 1000)::bigint as ms
        from pg_stat_activity
        where datname = current_database() and xact_start is not null
          and pid <> pg_backend_pid() and application_name = current_setting('application_name')
      `.execute(this.db);
      ms = Number(rows[0]!.ms);
    }
    const hex = Math.max(0, ms - this.holdMs)
      .toString(16)
      .padStart(12, '0');
    return `${hex.slice(0, 8)}-${hex.slice(8)}-0000-0000-000000000000`;
  }

  async insert(
    trx: Transaction<Database>,
    events: ChangeEventsTable[],
    deliveries: WebhookDeliveriesTable[],
  ): Promise<void> {
    if (events.length > 0) await trx.insertInto('change_events').values(events).execute();
    if (deliveries.length > 0)
      await trx.insertInto('webhook_deliveries').values(deliveries).execute();
  }

  /** Events oldest first; by subscription: the events that subscription was sent. */
  async find(filter: ChangeEventFilter): Promise<ChangeEvent[]> {
    let query = this.db
      .selectFrom('change_events')
      .selectAll('change_events')
      .where('change_events.environment_id', '=', filter.environmentId);
    if (filter.subscriptionId !== undefined) {
      const subscriptionId = filter.subscriptionId;
      query = query.where('change_events.id', 'in', (eb) =>
        eb
          .selectFrom('webhook_deliveries')
          .select('change_event_id')
          .where('subscription_id', '=', subscriptionId),
      );
    }
    if (filter.profileId !== undefined)
      query = query.where('change_events.profile_id', '=', filter.profileId);
    if (filter.type !== undefined) query = query.where('change_events.type', '=', filter.type);
    if (filter.after !== undefined) query = query.where('change_events.id', '>', filter.after);
    if (this.holdMs > 0) query = query.where('change_events.id', '<', await this.settledBefore());
    const rows = await query.orderBy('change_events.id').limit(filter.limit).execute();
    return rows.map(eventFromRow);
  }

  async findById(environmentId: string, id: string): Promise<ChangeEvent | undefined> {
    const row = await this.db
      .selectFrom('change_events')
      .selectAll()
      .where('id', '=', id)
      .where('environment_id', '=', environmentId)
      .executeTakeFirst();
    return row && eventFromRow(row);
  }

  async findAnyById(id: string): Promise<ChangeEvent | undefined> {
    const row = await this.db
      .selectFrom('change_events')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && eventFromRow(row);
  }

  /** A subscription's delivery log, newest first. */
  async findAttempts(subscriptionId: string, before: string | undefined, limit: number) {
    let query = this.db
      .selectFrom('webhook_attempts')
      .selectAll()
      .where('subscription_id', '=', subscriptionId);
    if (before !== undefined) query = query.where('id', '<', before);
    return query.orderBy('id', 'desc').limit(limit).execute();
  }

  async insertAttempt(row: WebhookAttemptsTable): Promise<void> {
    await this.db.insertInto('webhook_attempts').values(row).execute();
  }

  /** Erases the change events of these profiles with their deliveries and delivery log. */
  async deleteByProfiles(trx: Transaction<Database>, profileIds: string[]): Promise<void> {
    if (profileIds.length === 0) return;
    const ids = trx.selectFrom('change_events').select('id').where('profile_id', 'in', profileIds);
    await trx.deleteFrom('webhook_attempts').where('change_event_id', 'in', ids).execute();
    await trx.deleteFrom('webhook_deliveries').where('change_event_id', 'in', ids).execute();
    await trx.deleteFrom('change_events').where('profile_id', 'in', profileIds).execute();
  }

  async countByProfiles(profileIds: string[]): Promise<Record<string, number>> {
    if (profileIds.length === 0) return { change_events: 0, webhook_deliveries: 0 };
    const events = await this.db
      .selectFrom('change_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('profile_id', 'in', profileIds)
      .executeTakeFirstOrThrow();
    const deliveries = await this.db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('change_event_id', 'in', (eb) =>
        eb.selectFrom('change_events').select('id').where('profile_id', 'in', profileIds),
      )
      .executeTakeFirstOrThrow();
    return { change_events: Number(events.n), webhook_deliveries: Number(deliveries.n) };
  }

  async exportByProfiles(environmentId: string, profileIds: string[]) {
    if (profileIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('change_events')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .where('profile_id', 'in', profileIds)
      .orderBy('id')
      .limit(100_000)
      .execute();
    return rows.map(eventFromRow);
  }
}
