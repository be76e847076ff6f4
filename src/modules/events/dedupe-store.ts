import type { Kysely } from 'kysely';
import { type Precompiled, precompiledByCount } from '../../storage/precompiled.js';
import { type RowTarget, type RowWrite, rowTarget } from '../../storage/row-writes.js';
import type { Database } from '../../storage/schema.js';
import { WriteConflict } from '../profiles/write-conflict.js';

/**
 * Durable memory of the messageIds applied per environment, so that a retried or replayed
 * event is acknowledged without being applied twice, across restarts.
 */
export class DedupeStore {
  // Every write runs both queries; compiled once per list length (see precompiledByCount).
  private readonly selectIn: (count: number) => Precompiled<{ message_id: string }>;
  private readonly target: RowTarget;

  constructor(private readonly db: Kysely<Database>) {
    this.selectIn = precompiledByCount((n) =>
      db
        .selectFrom('event_dedupe')
        .select('message_id')
        .where('environment_id', '=', '')
        .where('message_id', 'in', Array<string>(n).fill('')),
    );
    const row = { environment_id: '', message_id: '', received_at: 0 };
    this.target = rowTarget(
      'event_dedupe',
      3,
      (n) => db.insertInto('event_dedupe').values(Array.from({ length: n }, () => row)),
      {
        maxRows: 300,
        // Applied meanwhile by another writer.
        onUniqueViolation: () => new WriteConflict('messageId applied concurrently'),
      },
    );
  }

  /** The subset of `messageIds` already applied in this environment. */
  async findSeen(environmentId: string, messageIds: string[]): Promise<Set<string>> {
    const seen = new Set<string>();
    for (let i = 0; i < messageIds.length; i += 500) {
      const chunk = messageIds.slice(i, i + 500);
      const { rows } = await this.selectIn(chunk.length).execute(this.db, [
        environmentId,
        ...chunk,
      ]);
      for (const row of rows) seen.add(row.message_id);
    }
    return seen;
  }

  /** Rows recording messageIds as applied; one applied meanwhile fails the write (WriteConflict). */
  rows(environmentId: string, messageIds: string[], at: number): RowWrite {
    return {
      target: this.target,
      values: messageIds.flatMap((messageId) => [environmentId, messageId, at]),
    };
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
