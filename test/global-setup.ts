import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import {
  dropDatabases,
  listTestDatabases,
  TEST_DATABASE_PREFIX,
} from './helpers/postgres-admin.js';

/** A run older than this is long over: its databases were left by a run that was killed. */
const STALE_MS = 6 * 60 * 60_000;

/**
 * Gives this run a database-name prefix (the time it started and a random part), and drops, at
 * the end, every PostgreSQL database the run created and did not drop itself. Databases of
 * other runs are left alone unless stale, so runs in parallel do not disturb each other.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const prefix = `${TEST_DATABASE_PREFIX}${Date.now().toString(36)}_${randomBytes(2).toString('hex')}_`;
  project.provide('testDatabasePrefix', prefix);
  await dropQuietly(async () => {
    const stale = (await listTestDatabases()).filter((name) => {
      const started = Number.parseInt(name.slice(TEST_DATABASE_PREFIX.length).split('_')[0]!, 36);
      return Number.isFinite(started) && Date.now() - started > STALE_MS;
    });
    await dropDatabases(stale);
  });
  return () => dropQuietly(async () => dropDatabases(await listTestDatabases(prefix)));
}

/** Clean-up is best effort: a SQLite-only run on a machine without PostgreSQL still passes. */
async function dropQuietly(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch {
    // PostgreSQL not reachable: the tests that need it report that themselves.
  }
}
