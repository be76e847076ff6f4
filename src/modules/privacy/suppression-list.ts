import { createHmac } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Identifier } from '../../engine/types.js';
import type { Database } from '../../storage/schema.js';

/**
 * The people who opted out, kept as keyed hashes (HMAC-SHA-256 under a key derived from the
 * master key): the list can answer "is this user suppressed?" forever, and a copy of the
 * database alone does not say who is on it.
 */
export class SuppressionList {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly key: Uint8Array,
  ) {}

  hash(environmentId: string, identifier: Identifier): string {
    return createHmac('sha256', this.key)
      .update(`${environmentId}\n${identifier.type}\n${identifier.value}`)
      .digest('hex');
  }

  /** The identifiers (of those given) that are suppressed, as `type:value` keys. */
  async suppressedAmong(environmentId: string, identifiers: Identifier[]): Promise<Set<string>> {
    const found = new Set<string>();
    if (identifiers.length === 0) return found;
    // Each distinct identifier hashed once: a batch names the same people many times.
    const distinct = new Map(identifiers.map((i) => [`${i.type}:${i.value}`, i]));
    const byHash = new Map(
      [...distinct].map(([key, identifier]) => [this.hash(environmentId, identifier), key]),
    );
    const rows = await this.db
      .selectFrom('suppressions')
      .select('identifier_hash')
      .where('environment_id', '=', environmentId)
      .where('identifier_hash', 'in', [...byHash.keys()])
      .execute();
    for (const row of rows) found.add(byHash.get(row.identifier_hash)!);
    return found;
  }

  /** Adds identifiers (idempotent), inside the caller's transaction. */
  async add(
    trx: Transaction<Database>,
    environmentId: string,
    identifiers: Identifier[],
    source: string,
    at: number,
  ): Promise<void> {
    if (identifiers.length === 0) return;
    await trx
      .insertInto('suppressions')
      .values(
        identifiers.map((i) => ({
          environment_id: environmentId,
          identifier_hash: this.hash(environmentId, i),
          source,
          created_at: at,
        })),
      )
      .onConflict((oc) => oc.columns(['environment_id', 'identifier_hash']).doNothing())
      .execute();
  }
}
