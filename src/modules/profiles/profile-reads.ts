/**
 * The statements ProfileStore reads profile documents with on the hot path (by id, by
 * identifier, by many identifiers), built and compiled once per store: the read side of
 * profile-rows.ts. Also the key of the holder hints those reads keep in the ProfileCache.
 */
import { type Kysely, sql } from 'kysely';
import type { IdentifierType } from '../../engine/types.js';
import { Precompiled, precompiledByCount } from '../../storage/precompiled.js';
import type { Database } from '../../storage/schema.js';
import { uniqueLookupShape } from './identity-store.js';

/** A row as the reads select it: `state` is null when it is the cached document's version. */
export type ReadRow = Pick<Database['profiles'], 'version' | 'merged_into'> & {
  state: string | null;
};

/** The holder hints' key of an identifier (see ProfileCache.holderHint). */
export const holderKey = (environmentId: string, type: IdentifierType, value: string) =>
  `${environmentId}\u0000${type}\u0000${value}`;

/** The statements that read profile documents (see Precompiled). */
export interface DocumentReads {
  /** Parameters: the version kept (-1: none), id, environment id. */
  selectById: Precompiled<ReadRow>;
  /** Parameters: the holder hint ('' for none), its version kept (-1), environment, type, value. */
  selectByIdentifier: Precompiled<ReadRow & { id: string }>;
  /** Holders of unique identifiers, per count of identifiers (see uniqueLookupShape). */
  selectByIdentifiers: (
    count: number,
  ) => Precompiled<ReadRow & { id: string; type: string; value: string }>;
}

/**
 * The reads of a store on `db`; with `lockRows` (PostgreSQL, inside a transaction) the rows
 * read stay locked until it ends (FOR UPDATE).
 */
export function documentReads(db: Kysely<Database>, lockRows: boolean): DocumentReads {
  const selectById = Precompiled.of(
    db
      .selectFrom('profiles')
      // The document is left out (null) when the row's version is the one this process holds
      // (-1 when it holds none): reading and parsing it again would only repeat work.
      .select([
        'version',
        'merged_into',
        sql<string | null>`case when version = ${-1} then null else state end`.as('state'),
      ])
      .where('id', '=', '')
      .where('environment_id', '=', '')
      .$if(lockRows, (qb) => qb.forUpdate()),
  );
  const selectByIdentifier = Precompiled.of(
    db
      .selectFrom('profile_identifiers as i')
      .innerJoin('profiles as p', (join) =>
        join.onRef('p.id', '=', 'i.profile_id').onRef('p.environment_id', '=', 'i.environment_id'),
      )
      // As above, for the profile this identifier named when last read (a hint; '' for none).
      .select([
        'p.id',
        'p.version',
        'p.merged_into',
        sql<
          string | null
        >`case when p.id = ${''} and p.version = ${-1} then null else p.state end`.as('state'),
      ])
      .where('i.environment_id', '=', '')
      .where('i.type', '=', '')
      .where('i.value', '=', '')
      // Rows are locked in id order, so two lockers never wait on each other; otherwise the
      // order is set in JS (SQLite would sort even a single row in a temporary b-tree).
      .$if(lockRows, (qb) => qb.orderBy('p.id').forUpdate('p')),
  );
  const selectByIdentifiers = precompiledByCount((count) =>
    db
      .selectFrom('profile_identifiers as i')
      .innerJoin('profiles as p', (join) =>
        join.onRef('p.id', '=', 'i.profile_id').onRef('p.environment_id', '=', 'i.environment_id'),
      )
      .select(['i.type', 'i.value', 'p.id', 'p.version', 'p.merged_into', 'p.state'])
      .where(uniqueLookupShape(count)),
  );
  return { selectById, selectByIdentifier, selectByIdentifiers };
}
