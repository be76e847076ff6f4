import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStorage } from '../../../test/helpers/test-database.js';
import { newId } from '../../lib/ids.js';
import { createStorage, type Storage } from '../../storage/storage.js';
import { DeliveryStore } from './delivery-store.js';

let first: Storage;
let url: string;
let destroyStorage: () => Promise<void>;
beforeAll(async () => {
  ({ storage: first, url, destroy: destroyStorage } = await openTestStorage());
});
afterAll(() => destroyStorage());

describe('DeliveryStore.claim', () => {
  it('hands each due delivery to exactly one of several processes, and not again during its lease', async () => {
    const others = [await createStorage(url), await createStorage(url)];
    const stores = [first, ...others].map((s) => new DeliveryStore(s.db, s.engine));
    try {
      const now = Date.now();
      const ids = Array.from({ length: 30 }, () => newId());
      await first.db
        .insertInto('webhook_deliveries')
        .values(
          ids.map((id) => ({
            id,
            environment_id: 'env',
            subscription_id: 'sub',
            change_event_id: newId(),
            status: 'pending' as const,
            attempts: 0,
            next_attempt_at: now - 1,
            last_status_code: null,
            last_error: null,
            created_at: now,
            updated_at: now,
          })),
        )
        .execute();
      const claimed: string[] = [];
      await Promise.all(
        stores.map(async (store) => {
          for (;;) {
            const row = await store.claim(now, 60_000);
            if (!row) return;
            expect(Number(row.attempts)).toBe(1);
            claimed.push(row.id);
          }
        }),
      );
      expect(claimed.sort()).toEqual([...ids].sort());
      // Leased: not due again until the lease runs out (a crashed sender's rows come back then).
      expect(await stores[0]!.claim(now + 59_000, 60_000)).toBeUndefined();
      expect(await stores[0]!.claim(now + 60_001, 60_000)).toMatchObject({ attempts: 2 });
    } finally {
      for (const storage of others) await storage.close();
    }
  });
});
