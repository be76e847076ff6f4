import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { createStorage, type Storage, type StorageEngine } from '../../src/storage/storage.js';
import { adminQuery, dropDatabases, postgresUrlFor } from './postgres-admin.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Prefix of every PostgreSQL database this test run creates (see test/global-setup.ts). */
    testDatabasePrefix: string;
  }
}

/**
 * The engine the tests run on: `TESSERA_TEST_DATABASE=postgres|sqlite` (default sqlite). Tests
 * are the only readers of these variables besides src/cli.ts.
 */
export const testEngine: StorageEngine = (() => {
  const value = process.env.TESSERA_TEST_DATABASE ?? 'sqlite';
  if (value !== 'sqlite' && value !== 'postgres') {
    throw new Error(`TESSERA_TEST_DATABASE must be sqlite or postgres, not ${value}`);
  }
  return value;
})();

/**
 * Creates an empty PostgreSQL database and returns its URL. Its name starts with this run's
 * prefix, so the global teardown drops whatever a test left behind. The `C` collation sorts
 * text by code point, as SQLite does.
 */
export async function createPostgresDatabase(): Promise<string> {
  const name = `${inject('testDatabasePrefix')}${randomBytes(6).toString('hex')}`;
  await adminQuery([
    `create database "${name}" template template0 encoding 'UTF8' lc_collate 'C' lc_ctype 'C'`,
  ]);
  return postgresUrlFor(name);
}

export async function dropPostgresDatabase(url: string): Promise<void> {
  await dropDatabases([new URL(url).pathname.slice(1)]);
}

/** Test databases by data directory: a test server restarted on `dir` reopens the same one. */
const postgresByDir = new Map<string, string>();

/** The DATABASE_URL of the test database that belongs to `dir` (created on first use). */
export async function databaseUrlForDir(dir: string): Promise<string> {
  if (testEngine === 'sqlite') return `sqlite://${path.join(dir, 'tessera.db')}`;
  let url = postgresByDir.get(dir);
  if (!url) {
    url = await createPostgresDatabase();
    postgresByDir.set(dir, url);
  }
  return url;
}

/** Drops the PostgreSQL database of `dir`, if it has one. */
export async function dropDatabaseForDir(dir: string): Promise<void> {
  const url = postgresByDir.get(dir);
  if (!url) return;
  postgresByDir.delete(dir);
  await dropPostgresDatabase(url);
}

/** A migrated storage on the test engine, for service tests, and its clean-up. */
export async function openTestStorage(): Promise<{
  storage: Storage;
  /** Its DATABASE_URL, to open a second storage on the same database (a second process). */
  url: string;
  destroy: () => Promise<void>;
}> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-storage-'));
  const url = await databaseUrlForDir(dir);
  const storage = await createStorage(url);
  return {
    storage,
    url,
    async destroy() {
      await storage.close();
      await dropDatabaseForDir(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Everything the database holds, as bytes, for "never stored in plain text" checks: the SQLite
 * files of `dir` (read after the server stopped), or every row of every table of the
 * PostgreSQL database of `dir` in its text form.
 */
export async function storedBytes(dir: string): Promise<Buffer> {
  if (testEngine === 'sqlite') {
    return Buffer.concat(
      ['tessera.db', 'tessera.db-wal'].map((f) => {
        try {
          return readFileSync(path.join(dir, f));
        } catch {
          return Buffer.alloc(0);
        }
      }),
    );
  }
  const url = postgresByDir.get(dir);
  if (!url) throw new Error(`no test database for ${dir}`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      `select table_name as name from information_schema.tables
       where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
    );
    const chunks: string[] = [];
    for (const { name } of tables.rows) {
      const rows = await client.query<{ row: string }>(`select t::text as row from "${name}" t`);
      for (const { row } of rows.rows) chunks.push(row);
    }
    return Buffer.from(chunks.join('\n'));
  } finally {
    await client.end();
  }
}
