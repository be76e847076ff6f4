import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.destroy());

const create = async (body: Record<string, unknown>) => {
  const res = await server.request('POST', '/v4/clients', body);
  expect(res.status).toBe(201);
  return res.body.clientId as string;
};

async function settle(taskId: string) {
  for (let i = 0; i < 300; i++) {
    const res = await server.request('GET', `/morph/exports/clients/${taskId}/status`);
    if (res.body.status === 'DONE' || res.body.status === 'FAILED') return res.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('export did not finish');
}

describe('001 export data', () => {
  it("carries each client's tags, including those of the profiles merged into it", async () => {
    await create({ customId: 'tg-1', city: 'Lund', tags: ['vip', 'newsletter'] });
    const target = await create({ customId: 'tg-2', city: 'Lund', tags: ['b2b'] });
    const source = await create({ customId: 'tg-3', tags: ['vip', 'churned'] });
    await create({ customId: 'tg-4', city: 'Lund' });
    const merged = await server.request(
      'POST',
      `/v4/clients/merge/from/ids/${source}/to/id/${target}`,
    );
    expect(merged.status).toBe(200);

    const created = await server.request('POST', '/morph/exports/clients/segmentation', {
      filter: { trait: 'city', op: 'equals', value: 'Lund' },
    });
    expect((await settle(created.body.taskId)).status).toBe('DONE');
    const data = await server.request('GET', `/morph/exports/clients/${created.body.taskId}/data`);
    expect(data.status).toBe(200);
    const tagsOf = Object.fromEntries(
      data.body.map((c: { customId: string; tags: string[] }) => [c.customId, [...c.tags].sort()]),
    );
    expect(tagsOf).toEqual({
      'tg-1': ['newsletter', 'vip'],
      'tg-2': ['b2b', 'churned', 'vip'],
      'tg-4': [],
    });
    // The same tags as the client read shows.
    const read = await server.request('GET', `/v4/clients/${target}`);
    expect([...read.body.tags].sort()).toEqual(tagsOf['tg-2']);
  });
});
