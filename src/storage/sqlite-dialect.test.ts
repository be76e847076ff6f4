import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createStorage } from './storage.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tessera-sqlite-dialect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SQLite transactions', () => {
  it('take the write lock when they begin, before their first write', async () => {
    const file = path.join(dir, 'lock.db');
    const storage = await createStorage(`sqlite://${file}`);
    // Another process's connection, which does not wait for locks.
    const other = new BetterSqlite3(file);
    other.pragma('busy_timeout = 0');
    try {
      const attempt = await storage.db.transaction().execute(async (trx) => {
        await trx.selectFrom('profiles').select('id').limit(1).execute();
        try {
          other.exec('begin immediate');
          other.exec('rollback');
          return 'other got the lock';
        } catch (error) {
          return (error as { code?: string }).code;
        }
      });
      expect(attempt).toBe('SQLITE_BUSY');
      // Once committed, the lock is free again.
      other.exec('begin immediate');
      other.exec('rollback');
    } finally {
      other.close();
      await storage.close();
    }
  });
});

describe('the SQLite connection queue', () => {
  it('lets a statement wait for a transaction in progress, then see its commit', async () => {
    const storage = await createStorage(`sqlite://${path.join(dir, 'queue.db')}`);
    try {
      let read: Promise<unknown> | undefined;
      await storage.db.transaction().execute(async (trx) => {
        read = storage.db.selectFrom('organizations').select('id').where('id', '=', 'o1').execute();
        await trx
          .insertInto('organizations')
          .values({ id: 'o1', slug: 'o1', name: 'O', created_at: 1 })
          .execute();
      });
      expect(await read).toEqual([{ id: 'o1' }]);
    } finally {
      await storage.close();
    }
  });
});
