/** PostgreSQL's answer to a statement sent after another failed in the same transaction. */
const AFTER_A_FAILURE = '25P02';

/**
 * Waits for statements issued together (pipelined where the connection does that) and throws
 * the first error among them that is not merely the consequence of another (a statement after a
 * failed one in PostgreSQL's aborted transaction). All of them have finished when it answers,
 * so that the job's savepoint is released or rolled back after every one of its statements.
 */
export async function allStatements<T extends readonly unknown[]>(
  statements: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const outcomes = await Promise.allSettled(statements);
  const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failures.length > 0) {
    const cause = failures.find((f) => (f.reason as { code?: unknown })?.code !== AFTER_A_FAILURE);
    throw (cause ?? failures[0]!).reason;
  }
  return outcomes.map((o) => (o as PromiseFulfilledResult<unknown>).value) as never;
}
