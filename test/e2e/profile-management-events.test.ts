import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeAction } from '../../src/engine/action-name.js';
import { PREDEFINED_EVENTS } from '../../src/surfaces/profile-management/event-mapping.js';
import { optOutUser } from '../helpers/opt-out.js';
import { mid, startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
let clientId: string;
beforeAll(async () => {
  server = await startTestServer();
  const created = await server.request('POST', '/v4/clients', {
    customId: 'ev-1',
    email: 'ev@example.com',
  });
  clientId = created.body.clientId;
});
afterAll(() => server.destroy());

/** The profile's events as the native API shows them, oldest first. */
async function nativeEvents(id: string) {
  const all: Array<Record<string, unknown>> = [];
  let cursor = '';
  for (;;) {
    const res = await server.request(
      'GET',
      `/v1/profiles/${id}/events?order=asc&limit=100${cursor}`,
    );
    expect(res.status).toBe(200);
    all.push(...res.body.data);
    if (!res.body.next) return all;
    cursor = `&cursor=${res.body.next}`;
  }
}

describe('001 events', () => {
  it('records every predefined event path as a track event with its action', async () => {
    const paths = Object.keys(PREDEFINED_EVENTS);
    expect(paths).toHaveLength(23);
    for (const path of paths) {
      const res = await server.request('POST', `/v4/events/${path}`, {
        label: `label ${path}`,
        client: { customId: 'ev-1' },
        time: '2026-01-02T03:04:05.000Z',
        params: { sku: 'A-1' },
      });
      expect(res.status, path).toBe(202);
      expect(res.body).toMatchObject({ clientId, accepted: 1 });
    }
    const events = await nativeEvents(clientId);
    for (const [path, { action }] of Object.entries(PREDEFINED_EVENTS)) {
      const found = events.find((e) => e.name === action);
      expect(found, path).toMatchObject({
        type: 'track',
        action: normalizeAction(action),
        timestamp: '2026-01-02T03:04:05.000Z',
        properties: { sku: 'A-1', label: `label ${path}` },
      });
    }
  });

  it('takes a custom event with its action, deduplicated by eventSalt', async () => {
    const body = {
      action: 'quiz.completed',
      label: 'Quiz',
      client: { email: 'EV@example.com' },
      params: { score: 9 },
      eventSalt: 'salt-1',
    };
    const first = await server.request('POST', '/v4/events/custom', body);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ clientId, accepted: 1, duplicates: 0 });
    const again = await server.request('POST', '/v4/events/custom', body);
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 1 });
    const events = await nativeEvents(clientId);
    expect(events.filter((e) => e.name === 'quiz.completed')).toHaveLength(1);
    const noAction = await server.request('POST', '/v4/events/custom', { client: { clientId } });
    expect(noAction.status).toBe(400);
    expect(noAction.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'body.action' })]),
    );
  });

  it('applies a batch, reporting the events of unknown profiles by index', async () => {
    const res = await server.request('POST', '/v4/events/batch', [
      { action: 'page.visit', client: { clientId }, params: { url: '/a' } },
      { action: 'page.visit', client: { clientId: 'missing' } },
      { action: 'page.visit', client: { uuid: 'new-device' } },
    ]);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 2, rejected: [{ index: 1, status: 404 }] });
    const device = await server.request('GET', '/v4/clients/uuid/new-device');
    expect(device.status).toBe(200);
    // One bad event: nothing applied.
    const bad = await server.request('POST', '/v4/events/batch', [
      { action: 'ok', client: { clientId } },
      { action: 'bad', client: { clientId }, time: 'yesterday' },
    ]);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/time/);
    const noClient = await server.request('POST', '/v4/events/batch', [
      { action: 'x', client: {} },
    ]);
    expect(noClient.status).toBe(400);
  });

  it('records transactions once per orderId, singly and in batches', async () => {
    const transaction = {
      client: { customId: 'ev-1' },
      orderId: 'order-1',
      products: [{ sku: 'A-1', quantity: 2, finalUnitPrice: { amount: 10, currency: 'EUR' } }],
      value: { amount: 20, currency: 'EUR' },
      revenue: { amount: 18, currency: 'EUR' },
      recordedAt: '2026-02-01T10:00:00Z',
      paymentInfo: { method: 'CARD' },
      source: 'WEB_DESKTOP',
      metadata: { coupon: 'X' },
    };
    const res = await server.request('POST', '/v4/transactions', transaction);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ clientId, accepted: 1 });
    const batch = await server.request('POST', '/v4/transactions/batch', [
      transaction,
      { ...transaction, orderId: 'order-2' },
    ]);
    expect(batch.body).toMatchObject({ accepted: 1, duplicates: 1, rejected: [] });
    // The same order for a client nobody holds is still the recorded order: nothing is created,
    // and the 404 says why.
    const repeated = await server.request('POST', '/v4/transactions', {
      ...transaction,
      client: { customId: 'ev-new' },
    });
    expect(repeated.status).toBe(404);
    expect(repeated.body.message).toMatch(/repeats one already recorded/);
    const charges = (await nativeEvents(clientId)).filter((e) => e.name === 'transaction.charge');
    expect(charges.map((e) => (e.properties as { orderId: string }).orderId)).toEqual([
      'order-1',
      'order-2',
    ]);
    expect(charges[0]).toMatchObject({
      timestamp: '2026-02-01T10:00:00.000Z',
      properties: { value: { amount: 20, currency: 'EUR' }, paymentInfo: { method: 'CARD' } },
    });
    for (const currency of ['123', 'eur']) {
      const res = await server.request('POST', '/v4/transactions', {
        ...transaction,
        orderId: `order-${currency}`,
        value: { amount: 20, currency },
      });
      expect(res.status, currency).toBe(400);
    }
    const bad = await server.request('POST', '/v4/transactions', { ...transaction, value: 20 });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ status: 400, error: 'Bad Request' });
  });

  it('lists events by client (deprecated endpoint), newest first, filtered by action', async () => {
    const res = await server.request('GET', `/v4/events/by-client/${clientId}?limit=5`);
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(5);
    const clicks = await server.request(
      'GET',
      `/v4/events/by-client/${clientId}?action=push.click`,
    );
    expect(clicks.body).toEqual([
      expect.objectContaining({ action: 'push.click', clientId, params: { sku: 'A-1' } }),
    ]);
    expect((await server.request('GET', '/v4/events/by-client/missing')).status).toBe(404);
  });

  it('answers the server time, and 501 for the logged-in profile endpoints', async () => {
    const before = Date.now();
    const res = await server.request('GET', '/v4/server/time');
    expect(res.status).toBe(200);
    expect(res.body.timestamp).toBeGreaterThanOrEqual(before);
    expect(Date.parse(res.body.serverTime)).toBe(res.body.timestamp);
    for (const [method, path] of [
      ['GET', '/v4/events'],
      ['GET', '/v4/my-account/personal-information'],
      ['POST', '/v4/my-account/linked-devices'],
    ]) {
      const refused = await server.request(method!, path!, method === 'POST' ? {} : undefined);
      expect(refused.status, path).toBe(501);
      expect(refused.body.message).toMatch(/no end-user login/);
    }
  });

  it('logs a profile out by recording a client.logout event', async () => {
    const res = await server.request('POST', `/sauth/management/client/${clientId}/logout`);
    expect(res.status).toBe(204);
    const events = await nativeEvents(clientId);
    expect(events.at(-1)).toMatchObject({
      name: 'client.logout',
      properties: { forcedBy: 'workspace' },
    });
    expect((await server.request('POST', '/sauth/management/client/missing/logout')).status).toBe(
      404,
    );
  });
});

describe('001 events of an opted-out person', () => {
  it('acknowledges and drops them, as every dialect does', async () => {
    // The 001 wire has no userId: the person is identified through the native API.
    await server.request('POST', '/v1/profiles/customId:opt-1/events', {
      events: [{ type: 'identify', messageId: mid(), userId: 'opt-user' }],
    });
    const optOut = await optOutUser(server, 'opt-user', 'site-pm');
    expect(optOut.status).toBeLessThan(300);
    const res = await server.request('POST', '/v4/events/custom', {
      action: 'page.visit',
      client: { customId: 'opt-1' },
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ clientId: null, accepted: 0, duplicates: 0, suppressed: 1 });
    expect((await server.request('GET', '/v4/clients/customId/opt-1')).status).toBe(404);
  });
});
