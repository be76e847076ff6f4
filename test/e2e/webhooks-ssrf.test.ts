import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mid, startTestServer, type TestServer } from '../helpers/test-server.js';
import { startReceiver, type WebhookReceiver, waitFor } from '../helpers/webhook-receiver.js';

// The switch is off (the default): private targets are refused when saved and when connecting.
let server: TestServer;
let receiver: WebhookReceiver;

beforeAll(async () => {
  server = await startTestServer({ env: { TESSERA_WEBHOOK_RETRY_BASE_MS: '50' } });
  receiver = await startReceiver();
});
afterAll(async () => {
  await server.destroy();
  await receiver.close();
});

describe('SSRF guard', () => {
  it.each([
    'http://127.0.0.1/hook',
    'http://2130706433/hook',
    'http://0x7f.1/hook',
    'http://017700000001/hook',
    'http://[::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[::ffff:7f00:1]/hook',
    'http://10.0.0.1/hook',
    'http://172.16.5.4/hook',
    'http://192.168.0.10/hook',
    'http://100.64.1.1/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://[fd00:ec2::254]/hook',
    'http://[fe80::1]/hook',
    'http://224.0.0.1/hook',
    'http://0.0.0.0/hook',
    'http://localhost/hook',
    'ftp://example.com/hook',
    'https://user:secret@example.com/hook',
  ])('refuses %s when saved', async (url) => {
    const res = await server.request('POST', '/v1/webhooks', {
      url,
      eventTypes: ['profile.created'],
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors[0].field).toBe('url');
  });

  it('refuses a private URL in an update too', async () => {
    const sub = await server.request('POST', '/v1/webhooks', {
      url: 'http://93.184.215.14/hook',
      eventTypes: ['profile.created'],
      enabled: false,
    });
    expect(sub.status).toBe(201);
    const res = await server.request('PATCH', `/v1/webhooks/${sub.body.id}`, {
      url: 'http://[::ffff:a9fe:a9fe]/',
    });
    expect(res.status).toBe(400);
    await server.request('DELETE', `/v1/webhooks/${sub.body.id}`);
  });

  it('refuses at connect time a name that now resolves to loopback, and sends nothing', async () => {
    // Saved while its name pointed elsewhere (disabled, so nothing is sent meanwhile); then the
    // name's answer changes to 127.0.0.1: `localhost` stands for that rebound name.
    const sub = await server.request('POST', '/v1/webhooks', {
      url: 'http://93.184.215.14/hook',
      eventTypes: ['profile.created'],
      enabled: false,
    });
    await server.storage.db
      .updateTable('webhook_subscriptions')
      .set({ url: `http://localhost:${receiver.port}/rebound` })
      .where('id', '=', sub.body.id)
      .execute();
    expect(
      (await server.request('PATCH', `/v1/webhooks/${sub.body.id}`, { enabled: true })).status,
    ).toBe(200);
    await server.request('POST', '/v1/profiles/userId:ssrf/events', {
      events: [{ type: 'identify', messageId: mid(), traits: { a: 1 } }],
    });
    const log = await waitFor(async () => {
      const res = await server.request('GET', `/v1/webhooks/${sub.body.id}/deliveries`);
      return res.body.data.length > 0 ? res.body.data : undefined;
    });
    expect(log[0]).toMatchObject({ statusCode: null });
    expect(log[0].error).toMatch(/target refused: resolves to a private or reserved address/);
    expect(receiver.received).toHaveLength(0);
  });
});
