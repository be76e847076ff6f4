import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  databaseUrlForDir,
  dropDatabaseForDir,
  testEngine,
} from '../../test/helpers/test-database.js';
import { DedupeStore } from '../modules/events/dedupe-store.js';
import { migrateTo, migrateToLatest } from './migrator.js';
import { createStorage, type Storage } from './storage.js';

/** Migration 0012: `event_dedupe` keyed by messageId first, its rows kept. */
describe('the event_dedupe key migration', () => {
  let dir: string;
  let storage: Storage;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tessera-dedupe-key-'));
    storage = await createStorage(await databaseUrlForDir(dir), { migrate: false });
  });

  afterEach(async () => {
    await storage.close();
    await dropDatabaseForDir(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every applied messageId, and still refuses one applied twice', async () => {
    await migrateTo(storage.db, '0011-webhooks');
    const before = [
      { environment_id: 'env-a', message_id: 'm-1', received_at: 1 },
      { environment_id: 'env-a', message_id: 'm-2', received_at: 2 },
      { environment_id: 'env-b', message_id: 'm-1', received_at: 3 },
    ];
    await storage.db.insertInto('event_dedupe').values(before).execute();

    expect(await migrateToLatest(storage.db)).toEqual(['0012-dedupe-key']);

    const after = await storage.db
      .selectFrom('event_dedupe')
      .selectAll()
      .orderBy('received_at')
      .execute();
    expect(after.map((r) => ({ ...r, received_at: Number(r.received_at) }))).toEqual(before);
    const dedupe = new DedupeStore(storage.db);
    expect(await dedupe.findSeen('env-a', ['m-1', 'm-2', 'm-3'])).toEqual(new Set(['m-1', 'm-2']));
    expect(await dedupe.findSeen('env-b', ['m-1', 'm-2'])).toEqual(new Set(['m-1']));
    await expect(
      storage.db
        .insertInto('event_dedupe')
        .values({ environment_id: 'env-a', message_id: 'm-1', received_at: 4 })
        .execute(),
    ).rejects.toThrow();
    await storage.db
      .insertInto('event_dedupe')
      .values({ environment_id: 'env-b', message_id: 'm-2', received_at: 5 })
      .execute();
  });

  // What the key is for: before PostgreSQL's first statistics on the table, a key led by the
  // environment let it read all the environment's rows to find a batch's messageIds, however
  // many. Led by the messageId, the key is used once a table scan would cost more (measured:
  // from about 80,000 rows; below, the scan takes a few ms).
  it.runIf(testEngine === 'postgres')(
    'lets PostgreSQL find a batch of messageIds by their key before any statistics',
    async () => {
      await migrateToLatest(storage.db);
      await sql`insert into event_dedupe (environment_id, message_id, received_at)
        select 'env-a', 'm-' || n, n from generate_series(1, 200000) as n`.execute(storage.db);
      const ids = Array.from({ length: 200 }, (_, i) => `m-${i * 7 + 1}`);
      const plan = await storage.db
        .selectFrom('event_dedupe')
        .select('message_id')
        .where('environment_id', '=', 'env-a')
        .where('message_id', 'in', ids)
        .explain();
      const text = plan.map((row) => String(row['QUERY PLAN'])).join('\n');
      expect(text).toMatch(/Scan (on|using) event_dedupe_message_pk/);
      expect(text).toMatch(/Index Cond: \(\(message_id = ANY/);
    },
  );
});
