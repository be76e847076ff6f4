import type { Kysely, Transaction } from 'kysely';
import { isUniqueViolation } from '../../storage/errors.js';
import { Precompiled } from '../../storage/precompiled.js';
import type { Database } from '../../storage/schema.js';
import { WriteConflict } from '../profiles/write-conflict.js';

/**
 * Durable memory of the messageIds applied per environment, so that a retried or replayed
 * event is acknowledged without being applied twice, across restarts.
 */
export class DedupeStore {
  // The one-event request (the personalize path) is the hottest: its queries are compiled once.
  private readonly selectOne: Precompiled<{ message_id: string }>;
  private readonly insertOne: Precompiled<unknown>;

  constructor(private readonly db: Kysely<Database>) {
    this.selectOne = Precompiled.of(
      db
        .selectFrom('event_dedupe')
        .select('message_id')
        .where('environment_id', '=', '')
        .where('message_id', '=', ''),
    );
    this.insertOne = Precompiled.of(
      db.insertInto('event_dedupe').values({ environment_id: '', message_id: '', received_at: 0 }),
    );
  }

  /** The subset of `messageIds` already applied in this environment. */
  async findSeen(environmentId: string, messageIds: string[]): Promise<Set<string>> {
    const seen = new Set<string>();
    if (messageIds.length === 1) {
      const { rows } = await this.selectOne.execute(this.db, [environmentId, messageIds[0]]);
      for (const row of rows) seen.add(row.message_id);
      return seen;
    }
    for (let i = 0; i < messageIds.length; i += 500) {
      const rows = await this.db
        .selectFrom('event_dedupe')
        .select('message_id')
        .where('environment_id', '=', environmentId)
        .where('message_id', 'in', messageIds.slice(i, i + 500))
        .execute();
      for (const row of rows) seen.add(row.message_id);
    }
    return seen;
  }

  /** Records messageIds as applied; one applied meanwhile by another writer is a WriteConflict. */
  async insert(
    trx: Transaction<Database>,
    environmentId: string,
    messageIds: string[],
    at: number,
  ): Promise<void> {
    try {
      if (messageIds.length === 1) {
        await this.insertOne.execute(trx, [environmentId, messageIds[0], at]);
        return;
      }
      for (let i = 0; i < messageIds.length; i += 300) {
        await trx
          .insertInto('event_dedupe')
          .values(
            messageIds.slice(i, i + 300).map((message_id) => ({
              environment_id: environmentId,
              message_id,
              received_at: at,
            })),
          )
          .execute();
      }
    } catch (error) {
      if (isUniqueViolation(error)) throw new WriteConflict('messageId applied concurrently');
      throw error;
    }
  }

  /** Forgets messageIds older than `before` (run periodically, off the request path). */
  async prune(before: number): Promise<number> {
    const result = await this.db
      .deleteFrom('event_dedupe')
      .where('received_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
