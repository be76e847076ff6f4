/** True when a database error is a unique/primary-key violation (SQLite or PostgreSQL). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === '23505'
  );
}

/**
 * True when PostgreSQL gave up a statement because of another transaction: a deadlock
 * (`40P01`), a serialization failure (`40001`) or a row lock not granted within the write's
 * `lock_timeout` (`55P03`). Run again from a fresh read, it succeeds.
 */
export function isTransientConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001' || code === '55P03';
}
