import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mid, startTestServer, type TestServer } from '../helpers/test-server.js';
import { startReceiver, type WebhookReceiver, waitFor } from '../helpers/webhook-receiver.js';

let server: TestServer;
let receiver: WebhookReceiver;

beforeAll(async () => {
  server = await startTestServer({
    env: {
      TESSERA_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
      // Longer than the test waits: a hung receiver holds its deliveries' slots meanwhile.
      TESSERA_WEBHOOK_TIMEOUT_MS: '30000',
    },
  });
  receiver = await startReceiver();
});
afterAll(async () => {
  receiver.release('/slow');
  await server.destroy();
  await receiver.close();
});

async function subscribe(path: string) {
  const res = await server.request('POST', '/v1/webhooks', {
    url: `${receiver.url}${path}`,
    eventTypes: ['profile.created'],
  });
  expect(res.status).toBe(201);
}

const arrived = (path: string) => receiver.received.filter((r) => r.path === path).length;

describe('a receiver that hangs', () => {
  it('holds some of the sending slots, never all: other subscriptions are still delivered', async () => {
    receiver.hold('/slow');
    await subscribe('/slow');
    await subscribe('/fast');
    for (let i = 0; i < 8; i++) {
      const res = await server.request('POST', `/v1/profiles/userId:slow-${i}/events`, {
        events: [{ messageId: mid(), type: 'identify', traits: { i } }],
      });
      expect(res.status).toBe(200);
    }
    // Every profile.created reaches the fast receiver while the slow one answers nothing.
    await waitFor(() => arrived('/fast') === 8);
    // The slow receiver got at most the other three of the four slots.
    expect(arrived('/slow')).toBeLessThanOrEqual(3);
    expect(arrived('/slow')).toBeGreaterThanOrEqual(1);
    receiver.release('/slow');
    await waitFor(() => arrived('/slow') === 8);
  });
});
