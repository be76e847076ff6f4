import type { CompiledQuery, Transaction } from 'kysely';
import { isUniqueViolation } from './errors.js';
import { type Precompiled, precompiledByCount } from './precompiled.js';
import type { Database } from './schema.js';
import { allStatements } from './statements.js';

/**
 * A table's rows written by one multi-row statement shape (compiled once per row count), so that
 * the rows of several write jobs for the same table can go in one statement: see
 * GroupCommitWriter, which combines the jobs of a group transaction that are only rows.
 */
export interface RowTarget {
  /** The statement's shape: rows for targets with the same key are combined. */
  readonly key: string;
  /** Values per row. */
  readonly width: number;
  /** Most rows per statement (bound-parameter limits: SQLite allows 32,766 per statement). */
  readonly maxRows: number;
  readonly statement: (rows: number) => Precompiled<Record<string, unknown>>;
  /**
   * A conditional write (an update with a version check): the statement answers, per row it
   * changed, the row's value at `keyAt` as `key`; a row not answered fails its job with
   * `conflict(key)`.
   */
  readonly checked?: { keyAt: number; conflict: (key: unknown) => Error };
  /** What a unique violation means to the job (a concurrent write, say). */
  readonly onUniqueViolation?: () => Error;
}

/** Rows for one target: `values` holds `target.width` values per row, row after row. */
export interface RowWrite {
  target: RowTarget;
  values: unknown[];
}

/** A target whose statement for `count` rows Kysely builds (see precompiledByCount). */
export function rowTarget(
  key: string,
  width: number,
  build: (count: number) => { compile(): CompiledQuery<unknown> },
  options: Partial<Pick<RowTarget, 'maxRows' | 'checked' | 'onUniqueViolation'>> = {},
): RowTarget {
  const statement = precompiledByCount(build) as RowTarget['statement'];
  return { key, width, maxRows: options.maxRows ?? 100, statement, ...options };
}

/**
 * Writes rows, those of each target in as few statements as its limit allows, all issued
 * together (pipelined on PostgreSQL). A checked row that did not change fails with its target's
 * conflict; so does a key checked twice (two writes of one row against the same version: the
 * statement would apply only one of them).
 */
export async function runRows(trx: Transaction<Database>, writes: RowWrite[]): Promise<void> {
  const byKey = new Map<string, { target: RowTarget; values: unknown[] }>();
  for (const { target, values } of writes) {
    if (values.length === 0) continue;
    const found = byKey.get(target.key);
    if (found) found.values.push(...values);
    else byKey.set(target.key, { target, values: [...values] });
  }
  const statements: Promise<void>[] = [];
  for (const { target, values } of byKey.values()) {
    const perStatement = target.width * target.maxRows;
    for (let at = 0; at < values.length; at += perStatement) {
      statements.push(runChunk(trx, target, values.slice(at, at + perStatement)));
    }
  }
  await allStatements(statements);
}

async function runChunk(trx: Transaction<Database>, target: RowTarget, values: unknown[]) {
  const rows = values.length / target.width;
  const result = await target
    .statement(rows)
    .execute(trx, values)
    .catch((error: unknown) => {
      throw isUniqueViolation(error) && target.onUniqueViolation
        ? target.onUniqueViolation()
        : error;
    });
  if (!target.checked) return;
  const { keyAt, conflict } = target.checked;
  const expected = new Set<unknown>();
  for (let row = 0; row < rows; row++) expected.add(values[row * target.width + keyAt]);
  const changed = new Set(result.rows.map((r) => r.key));
  for (const key of expected) if (!changed.has(key)) throw conflict(key);
  if (expected.size !== rows) throw conflict('written twice');
}
