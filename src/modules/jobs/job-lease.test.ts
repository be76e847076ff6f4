import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger as silent } from '../../../test/helpers/silent-logger.js';
import { openTestStorage } from '../../../test/helpers/test-database.js';
import type { Storage } from '../../storage/storage.js';
import { JobQueue } from './job-queue.js';

let storage: Storage;
let destroy: () => Promise<void>;
beforeAll(async () => {
  ({ storage, destroy } = await openTestStorage());
});
afterAll(() => destroy());

const until = async (done: () => boolean) => {
  const deadline = Date.now() + 10_000;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
};

describe('a job whose lease ran out', () => {
  it('belongs to the newer claim: the stalled one cannot overwrite its outcome', async () => {
    const start = Date.now();
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    const runs: string[] = [];
    // A process that claims the job and then stalls past the lease (its heartbeat never ran).
    const slow = new JobQueue(storage.db, silent, () => start, storage.engine);
    slow.register('lease', async () => {
      runs.push('slow');
      await stalled;
      throw new Error('the stalled run failed late');
    });
    // Another process, six minutes later: the 5-minute lease has run out.
    const later = new JobQueue(storage.db, silent, () => start + 6 * 60_000, storage.engine);
    later.register('lease', async () => {
      runs.push('later');
    });
    const { id } = await slow.enqueue('env', 'lease', {});
    slow.start(10);
    await until(() => runs.includes('slow'));
    later.start(10);
    await until(() => runs.includes('later'));
    let status = await later.status('env', id);
    for (let i = 0; i < 100 && status?.status !== 'done'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      status = await later.status('env', id);
    }
    expect(status).toMatchObject({ status: 'done', attempts: 2 });

    release();
    await slow.stop();
    await later.stop();
    // The stalled claim's failure would have queued the job again: it was ignored.
    expect(await later.status('env', id)).toMatchObject({ status: 'done', attempts: 2 });
    expect(runs).toEqual(['slow', 'later']);
  });
});
