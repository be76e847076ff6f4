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
