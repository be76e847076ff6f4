import { type Kysely, type Migration, type MigrationResultSet, Migrator } from 'kysely';
import * as m0001 from './migrations/0001-initial.js';
import * as m0002 from './migrations/0002-credentials.js';
import * as m0003 from './migrations/0003-surface-keys.js';
import * as m0004 from './migrations/0004-suppressions.js';
import * as m0005 from './migrations/0005-jobs.js';
import * as m0006 from './migrations/0006-personalization.js';
import * as m0007 from './migrations/0007-consents.js';
import * as m0008 from './migrations/0008-bulk.js';
import * as m0009 from './migrations/0009-annotations.js';
import * as m0010 from './migrations/0010-profile-extras.js';
import * as m0011 from './migrations/0011-webhooks.js';
import * as m0012 from './migrations/0012-dedupe-key.js';

/** Numbered, forward-only migrations; each runs on SQLite and PostgreSQL alike. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-credentials': m0002,
  '0003-surface-keys': m0003,
  '0004-suppressions': m0004,
  '0005-jobs': m0005,
  '0006-personalization': m0006,
  '0007-consents': m0007,
  '0008-bulk': m0008,
  '0009-annotations': m0009,
  '0010-profile-extras': m0010,
  '0011-webhooks': m0011,
  '0012-dedupe-key': m0012,
};

// biome-ignore lint/suspicious/noExplicitAny: the migrator works below the typed schema
function migratorOf(db: Kysely<any>): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
}

function applied({ error, results }: MigrationResultSet): string[] {
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Applies every pending migration; returns the names applied now. */
// biome-ignore lint/suspicious/noExplicitAny: the migrator works below the typed schema
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  return applied(await migratorOf(db).migrateToLatest());
}

/** Applies the pending migrations up to `name` (a schema as an older release left it, for tests). */
// biome-ignore lint/suspicious/noExplicitAny: the migrator works below the typed schema
export async function migrateTo(db: Kysely<any>, name: string): Promise<string[]> {
  return applied(await migratorOf(db).migrateTo(name));
}
