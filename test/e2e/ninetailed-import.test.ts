import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/modules/jobs/job-queue.js';
import { TenantService } from '../../src/modules/tenants/tenant-service.js';
import { createStorage } from '../../src/storage/storage.js';
import { batchGroups } from '../../src/surfaces/ninetailed/ninetailed-events.js';
import { IMPORT_JOB } from '../../src/surfaces/ninetailed/ninetailed-profiles.js';
import { mid, startTestServer, type TestServer, tableCounts } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.destroy());

const IMPORT = '/v2/organizations/default/environments/main/import/events';

async function post(path: string, body: unknown, base = server.url) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON answers
  return { status: res.status, body: (await res.json()) as any };
}

const identify = (anonymousId: string, traits: Record<string, unknown>) => ({
  type: 'identify',
  messageId: mid('imp'),
  anonymousId,
  userId: '',
  traits,
});

/** The profile holding an anonymousId, through the native API, once it exists. */
async function waitForProfile(target: TestServer, anonymousId: string) {
  for (let i = 0; i < 100; i++) {
    const res = await target.request('GET', `/v1/profiles/anonymousId:${anonymousId}`);
    if (res.status === 200) return res.body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no profile for ${anonymousId}`);
}

/** Statuses of the import jobs, oldest first. */
async function importJobStatuses(): Promise<string[]> {
  const rows = await server.storage.db
    .selectFrom('jobs')
    .select('status')
    .where('kind', '=', IMPORT_JOB)
    .orderBy('created_at')
    .execute();
  return rows.map((row) => row.status);
}

const ACCEPTED = { data: { message: 'Events accepted.' }, error: null, message: 'ok' };

describe('asynchronous import', () => {
  it('answers at once and applies the events in the background', async () => {
    const res = await post(IMPORT, {
      events: [identify('import-a', { plan: 'pro' }), identify('import-b', { plan: 'free' })],
    });
    expect(res).toEqual({ status: 200, body: ACCEPTED });
    expect((await waitForProfile(server, 'import-a')).traits).toEqual({ plan: 'pro' });
    expect((await waitForProfile(server, 'import-b')).traits).toEqual({ plan: 'free' });
  });

  it('acknowledges an unknown organization or environment, and stores nothing', async () => {
    const before = await tableCounts(server.storage);
    const jobsBefore = (await importJobStatuses()).length;
    for (const path of [
      '/v2/organizations/nope/environments/main/import/events',
      '/v2/organizations/default/environments/nope/import/events',
    ]) {
      const res = await post(path, { events: [identify('import-nowhere', { x: 1 })] });
      expect(res).toEqual({ status: 200, body: ACCEPTED });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await tableCounts(server.storage)).toEqual(before);
    expect(await importJobStatuses()).toHaveLength(jobsBefore);
  });

  it('refuses an invalid batch at once, with the batch limits', async () => {
    const unkeyed = await post(IMPORT, { events: [{ type: 'track', event: 'T' }] });
    expect(unkeyed.status).toBe(400);
    expect(unkeyed.body.error).toEqual({ code: 'ERR_INVALID_DATA' });
    const tooMany = Array.from({ length: 51 }, (_, i) => identify(`import-many-${i}`, {}));
    expect((await post(IMPORT, { events: tooMany })).status).toBe(400);
  });

  it('runs a job that was queued when the server stopped, after a restart', async () => {
    const dir = server.dir;
    const databaseUrl = server.config.databaseUrl;
    const log = server.app.log;
    await server.stop();

    // Queued while no server runs: what a crash between acceptance and processing leaves.
    const storage = await createStorage(databaseUrl);
    try {
      const tenant = await new TenantService(storage.db).findTenant('default', 'main');
      const groups = batchGroups([identify('import-restart', { survived: true })], Date.now());
      await new JobQueue(storage.db, log).enqueue(tenant!.environment.id, IMPORT_JOB, { groups });
    } finally {
      await storage.close();
    }

    server = await startTestServer({ dir });
    expect((await waitForProfile(server, 'import-restart')).traits).toEqual({ survived: true });
    await expect
      .poll(async () => (await importJobStatuses()).filter((status) => status !== 'done'))
      .toEqual([]);
  });
});
