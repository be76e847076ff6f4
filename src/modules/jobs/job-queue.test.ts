import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger as silent } from '../../../test/helpers/silent-logger.js';
import { openTestStorage } from '../../../test/helpers/test-database.js';
import { createStorage, type Storage } from '../../storage/storage.js';
import { JobQueue } from './job-queue.js';

/** A promise the test opens when it chooses: what a long job waits on. */
function gate() {
  let open!: () => void;
  const closed = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { closed, open };
}

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

  it('runs other jobs while one is long, up to its concurrency', async () => {
    const queue = new JobQueue(first.db, silent, Date.now, first.engine, 2);
    const { closed: long, open: releaseLong } = gate();
    const started: string[] = [];
    let running = 0;
    let most = 0;
    queue.register('long', async () => {
      started.push('long');
      await long;
    });
    queue.register('short', async (job) => {
      started.push(`short-${(job.payload as { i: number }).i}`);
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
    });
    try {
      const { id: longId } = await queue.enqueue('env', 'long', {});
      const shorts = [];
      for (let i = 0; i < 3; i++) shorts.push((await queue.enqueue('env', 'short', { i })).id);
      queue.start(10);
      const deadline = Date.now() + 10_000;
      while (started.length < 4 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // The long job holds one of the two slots; the short ones ran one after the other in the other.
      expect(started).toEqual(['long', 'short-0', 'short-1', 'short-2']);
      expect(most).toBe(1);
      for (const id of shorts) {
        await expect.poll(() => queue.status('env', id)).toMatchObject({ status: 'done' });
      }
      expect(await queue.status('env', longId)).toMatchObject({ status: 'running' });
      releaseLong();
      await expect.poll(() => queue.status('env', longId)).toMatchObject({ status: 'done' });
    } finally {
      releaseLong();
      await queue.stop();
    }
  });

  it('keeps its last slot for a kind with nothing running', async () => {
    const queue = new JobQueue(first.db, silent, Date.now, first.engine, 2);
    const { closed: imports, open: releaseImports } = gate();
    const started: string[] = [];
    queue.register('import', async (job) => {
      started.push(`import-${(job.payload as { i: number }).i}`);
      await imports;
    });
    queue.register('erasure', async () => {
      started.push('erasure');
    });
    try {
      await queue.enqueue('env', 'import', { i: 0 });
      await queue.enqueue('env', 'import', { i: 1 });
      const { id: erasure } = await queue.enqueue('env', 'erasure', {});
      queue.start(10);
      await expect.poll(() => queue.status('env', erasure)).toMatchObject({ status: 'done' });
      // The second import waits for the first: the other slot was kept for another kind.
      expect(started).toHaveLength(2);
      expect(started[1]).toBe('erasure');
      releaseImports();
      await expect.poll(() => started.length).toBe(3);
      expect([started[0], started[2]].sort()).toEqual(['import-0', 'import-1']);
    } finally {
      releaseImports();
      await queue.stop();
    }
  });
});
