import type { Kysely, Transaction } from 'kysely';
import type { CanonicalEvent } from '../../engine/types.js';
import { parseStored } from '../../lib/json.js';
import { type RowTarget, type RowWrite, rowTarget } from '../../storage/row-writes.js';
import type { Database, EventsTable } from '../../storage/schema.js';

/** An event as stored: the canonical event plus its row id and owning profile. */
export interface StoredEvent {
  id: string;
  profileId: string;
  event: CanonicalEvent;
}

export interface EventQuery {
  environmentId: string;
  profileIds: string[];
  include?: string[];
  exclude?: string[];
  start?: number;
  end?: number;
  order: 'asc' | 'desc';
  limit: number;
  /** Keyset position: events strictly after this one in the chosen order. */
  after?: { timestamp: number; id: string };
  /** Plain offset, for dialects whose pagination is `from`/`size`. */
  offset?: number;
}

/** SQL for the append-only event store. */
export class EventStore {
  /** Event rows (at most 100 per statement), columns in this order. */
  private readonly target: RowTarget;

  constructor(private readonly db: Kysely<Database>) {
    const row = {
      id: '',
      environment_id: '',
      profile_id: '',
      message_id: '',
      type: '',
      action: '',
      timestamp: 0,
      received_at: 0,
      body: '',
    };
    // SQLite caps bound parameters per statement; 9 columns × 100 rows stays well inside it.
    this.target = rowTarget('events', 9, (n) =>
      db.insertInto('events').values(Array.from({ length: n }, () => row)),
    );
  }

  /** Event rows to write (see row-writes.ts). */
  rows(rows: EventsTable[]): RowWrite {
    const values: unknown[] = [];
    for (const r of rows) {
      values.push(
        r.id,
        r.environment_id,
        r.profile_id,
        r.message_id,
        r.type,
        r.action,
        r.timestamp,
        r.received_at,
        r.body,
      );
    }
    return { target: this.target, values };
  }

  /** A profile's timeline (with the profiles merged into it), filtered and ordered by event time. */
  async find(q: EventQuery): Promise<StoredEvent[]> {
    if (q.profileIds.length === 0) return [];
    let query = this.db
      .selectFrom('events')
      .select(['id', 'profile_id', 'body'])
      .where('environment_id', '=', q.environmentId)
      .where('profile_id', 'in', q.profileIds);
    if (q.include?.length) query = query.where('action', 'in', q.include);
    if (q.exclude?.length) query = query.where('action', 'not in', q.exclude);
    if (q.start !== undefined) query = query.where('timestamp', '>=', q.start);
    if (q.end !== undefined) query = query.where('timestamp', '<=', q.end);
    const after = q.after;
    if (after) {
      const cmp = q.order === 'desc' ? '<' : '>';
      query = query.where((eb) =>
        eb.or([
          eb('timestamp', cmp, after.timestamp),
          eb.and([eb('timestamp', '=', after.timestamp), eb('id', cmp, after.id)]),
        ]),
      );
    }
    query = query.orderBy('timestamp', q.order).orderBy('id', q.order).limit(q.limit);
    if (q.offset) query = query.offset(q.offset);
    const rows = await query.execute();
    return rows.map((r) => ({
      id: r.id,
      profileId: r.profile_id,
      event: parseStored<CanonicalEvent>(r.body),
    }));
  }

  async deleteByProfiles(trx: Transaction<Database>, profileIds: string[]): Promise<void> {
    if (profileIds.length === 0) return;
    await trx.deleteFrom('events').where('profile_id', 'in', profileIds).execute();
  }

  /** How many events these profiles have (erasure checklists). */
  async countByProfiles(profileIds: string[]): Promise<number> {
    if (profileIds.length === 0) return 0;
    const row = await this.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('profile_id', 'in', profileIds)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
