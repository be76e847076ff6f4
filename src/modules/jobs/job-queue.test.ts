import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger as silent } from '../../../test/helpers/silent-logger.js';
import { openTestStorage } from '../../../test/helpers/test-database.js';
import { createStorage, type Storage } from '../../storage/storage.js';
import { JobQueue } from './job-queue.js';

let first: Storage;
let url: string;
let destroyStorage: () => Promise<void>;
beforeAll(async () => {
  ({ storage: first, url, destroy: destroyStorage } = await openTestStorage());
});
afterAll(() => destroyStorage());

describe('JobQueue', () => {
  it('runs each job exactly once when several processes poll the same queue', async () => {
    // Three queues over three storages of one database: three processes, as far as the
    // database can tell.
    const others = [await createStorage(url), await createStorage(url)];
    const storages = [first, ...others];
    const runs = new Map<string, number[]>();
    const queues = storages.map((storage, process) => {
      const queue = new JobQueue(storage.db, silent, Date.now, storage.engine);
      queue.register('count', async (job) => {
        runs.set(job.id, [...(runs.get(job.id) ?? []), process]);
        await new Promise((resolve) => setTimeout(resolve, 2));
      });
      return queue;
    });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 30; i++)
        ids.push((await queues[i % 3]!.enqueue('env', 'count', { i })).id);
      for (const queue of queues) queue.start(10);
      const deadline = Date.now() + 15_000;
      while (runs.size < ids.length && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      for (const queue of queues) await queue.stop();
      expect([...runs.keys()].sort()).toEqual([...ids].sort());
      expect([...runs.values()].every((processes) => processes.length === 1)).toBe(true);
      for (const id of ids) {
        expect(await queues[0]!.status('env', id)).toMatchObject({ status: 'done', attempts: 1 });
      }
    } finally {
      for (const queue of queues) await queue.stop();
      for (const storage of others) await storage.close();
    }
  });
});
