import { type Kysely, sql } from 'kysely';
import type { ProfileState } from '../../engine/types.js';
import { type RowTarget, type RowWrite, rowTarget } from '../../storage/row-writes.js';
import type { Database } from '../../storage/schema.js';
import { WriteConflict } from './write-conflict.js';

/** The statements that write profile documents, as row targets (see row-writes.ts). */
export interface DocumentWrites {
  inserts: RowTarget;
  updates: RowTarget;
}

export function documentWrites(db: Kysely<Database>): DocumentWrites {
  const row = {
    id: '',
    environment_id: '',
    version: 1,
    state: '',
    created_at: 0,
    updated_at: 0,
    merged_into: null,
  };
  const inserts = rowTarget('profiles:insert', 7, (n) =>
    db.insertInto('profiles').values(Array.from({ length: n }, () => row)),
  );
  // Several documents, each against the version it was read at: the rows changed answer their
  // id, and a row whose version moved meanwhile fails its write.
  const values = sql`(cast(${''} as text), cast(${''} as text), cast(${0} as bigint), cast(${0} as bigint), cast(${0} as bigint))`;
  const updates = rowTarget(
    'profiles:update',
    5,
    (n) => ({
      compile: () =>
        sql`with v (id, state, version, updated_at, expected) as (values ${sql.join(Array(n).fill(values))})
          update profiles set state = v.state, version = v.version, updated_at = v.updated_at, merged_into = null
          from v where profiles.id = v.id and profiles.version = v.expected
          returning profiles.id as key`.compile(db),
    }),
    { checked: { keyAt: 0, conflict: (id) => new WriteConflict(`profile ${id} changed`) } },
  );
  return { inserts, updates };
}

/**
 * A new document (`expectedVersion` null, stored as version 1) or the next version of one, and
 * the stored JSON's length.
 */
export function documentRow(
  writes: DocumentWrites,
  state: ProfileState,
  expectedVersion: number | null,
): { write: RowWrite; bytes: number } {
  const text = JSON.stringify(state);
  const { createdAt, updatedAt } = state.metadata;
  const write =
    expectedVersion === null
      ? {
          target: writes.inserts,
          values: [state.id, state.environmentId, 1, text, createdAt, updatedAt, null],
        }
      : {
          target: writes.updates,
          values: [state.id, text, expectedVersion + 1, updatedAt, expectedVersion],
        };
  return { write, bytes: text.length };
}
