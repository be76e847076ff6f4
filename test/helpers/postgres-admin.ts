import pg from 'pg';

/**
 * The PostgreSQL maintenance database through which the tests create and drop their own
 * databases (`TESSERA_TEST_POSTGRES_URL`; the local server by default).
 */
export const postgresAdminUrl =
  process.env.TESSERA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Every database a test run creates is named `<TEST_DATABASE_PREFIX><run>_<random>`. */
export const TEST_DATABASE_PREFIX = 'tessera_test_';

/** `base` with its database name replaced. */
export function postgresUrlFor(database: string, base = postgresAdminUrl): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Runs statements on the maintenance database over one short-lived connection. */
export async function adminQuery(statements: string[]): Promise<pg.QueryResult[]> {
  const client = new pg.Client({ connectionString: postgresAdminUrl });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${postgresAdminUrl} (start it, or set TESSERA_TEST_POSTGRES_URL): ${(error as Error).message}`,
    );
  }
  try {
    const results: pg.QueryResult[] = [];
    for (const statement of statements) results.push(await client.query(statement));
    return results;
  } finally {
    await client.end();
  }
}

/** Names of the test databases that exist now, optionally only those starting with `prefix`. */
export async function listTestDatabases(prefix = TEST_DATABASE_PREFIX): Promise<string[]> {
  const [result] = await adminQuery([
    `select datname from pg_database where datname like '${prefix.replace(/_/g, '\\_')}%'`,
  ]);
  return result!.rows.map((r: { datname: string }) => r.datname);
}

export async function dropDatabases(names: string[]): Promise<void> {
  if (names.length === 0) return;
  await adminQuery(names.map((name) => `drop database if exists "${name}" with (force)`));
}
