import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BulkStore } from '../../src/modules/bulk/bulk-store.js';
import { mid, startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
let privacyKey: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  server = await startTestServer();
  privacyKey = await server.createKey(['privacy']);
  for (const [userId, tier] of [
    ['ann', 'gold'],
    ['bob', 'silver'],
    ['cat', 'silver'],
  ]) {
    const res = await server.request('POST', `/v1/profiles/userId:${userId}/events`, {
      events: [{ type: 'identify', messageId: mid(), traits: { tier } }],
    });
    expect(res.status).toBe(200);
    ids[userId!] = res.body.profile.id;
  }
});
afterAll(() => server.destroy());

async function settle(path: string, key = server.adminKey) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await server.request('GET', path, undefined, key);
    expect(res.status).toBe(200);
    if (res.body.status === 'done' || res.body.status === 'failed') return res.body;
    if (Date.now() > deadline) throw new Error(`still ${res.body.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs an export to the end and answers its id. */
async function exportOf(body: object): Promise<string> {
  const res = await server.request('POST', '/v1/exports', body);
  expect(res.status).toBe(202);
  expect((await settle(res.body.statusUrl)).status).toBe('done');
  return res.body.id;
}

async function data(id: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.url}/v1/exports/${id}/data`, {
    headers: { authorization: `Bearer ${server.adminKey}` },
  });
  return { status: res.status, text: await res.text() };
}

describe('erasure reaches stored export results', () => {
  it('deletes the exports that hold the person, counts them in the checklist, and keeps the others', async () => {
    const everyone = await exportOf({ what: 'both' });
    const silver = await exportOf({ rule: { trait: 'tier', op: 'equals', value: 'silver' } });
    expect((await data(everyone)).text).toContain(ids.ann);
    expect((await data(silver)).text).not.toContain(ids.ann);

    const requested = await server.request(
      'POST',
      '/v1/privacy/erasures',
      { ref: 'userId:ann' },
      privacyKey,
    );
    expect(requested.status).toBe(202);
    expect(requested.body.remaining.bulk_exports).toBeGreaterThanOrEqual(0);
    const done = await settle(`/v1/privacy/erasures/${requested.body.id}`, privacyKey);
    expect(done.status).toBe('done');
    expect(done.remaining.bulk_exports).toBe(0);

    expect((await server.request('GET', `/v1/exports/${everyone}`)).status).toBe(404);
    expect((await data(everyone)).status).toBe(404);
    const rows = await server.storage.db.selectFrom('bulk_chunks').select('data').execute();
    expect(JSON.stringify(rows)).not.toContain(ids.ann);
    // An export without the person is untouched.
    const kept = await data(silver);
    expect(kept.status).toBe(200);
    expect(kept.text).toContain(ids.bob);
    expect(kept.text).toContain(ids.cat);
  });

  it('deletes them when a profile is deleted, too (opt-out erases through the same path)', async () => {
    const withBob = await exportOf({ rule: { trait: 'tier', op: 'equals', value: 'silver' } });
    expect((await server.request('DELETE', '/v1/profiles/userId:bob')).status).toBeLessThan(300);
    expect((await server.request('GET', `/v1/exports/${withBob}`)).status).toBe(404);
  });

  it('deletes a running export whose next chunk copies a profile erased since it was read', async () => {
    // An export holds up to 256 KiB of lines before storing them: the erasure's search of stored
    // chunks cannot see those. Storing a chunk checks that everyone in it is still there.
    // An export that has stored nothing about cat yet (it matched nobody so far).
    const running = await exportOf({ rule: { trait: 'tier', op: 'equals', value: 'bronze' } });
    expect((await server.request('DELETE', '/v1/profiles/userId:cat')).status).toBeLessThan(300);
    expect((await server.request('GET', `/v1/exports/${running}`)).status).toBe(200);
    const store = new BulkStore(server.storage);
    const line = `{"id":"${ids.cat}"}\n`;
    await expect(
      store.saveProgress(running, {}, { output: { seq: 9, data: line, mentions: [ids.cat!] } }),
    ).rejects.toMatchObject({ code: 'not_found' });
    expect((await server.request('GET', `/v1/exports/${running}`)).status).toBe(404);
    const rows = await server.storage.db.selectFrom('bulk_chunks').select('data').execute();
    expect(JSON.stringify(rows)).not.toContain(ids.cat);
  });
});
