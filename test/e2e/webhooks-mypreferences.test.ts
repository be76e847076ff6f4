import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, mid, startTestServer, type TestServer } from '../helpers/test-server.js';
import { startReceiver, type WebhookReceiver, waitFor } from '../helpers/webhook-receiver.js';

let server: TestServer;
let receiver: WebhookReceiver;
let bearer: string;
const CLIENT = 'AcmeEvents';

beforeAll(async () => {
  server = await startTestServer({ env: { TESSERA_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' } });
  receiver = await startReceiver();
  await server.request('PUT', `/v1/surface-keys/mypreferences/${CLIENT}`);
  const client = (
    await server.request('POST', '/v1/credentials', {
      kind: 'oauth_client',
      name: 'events',
      scopes: ['read'],
    })
  ).body;
  const res = await fetch(`${server.url}/oauth2/v1/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.publicId}:${client.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
  });
  bearer = `Bearer ${((await res.json()) as { access_token: string }).access_token}`;
});
afterAll(async () => {
  await server.destroy();
  await receiver.close();
});

async function get(path: string) {
  const res = await fetch(`${server.url}/Profiles/v4/${CLIENT}${path}`, {
    headers: { authorization: bearer },
  });
  return { status: res.status, body: await json(res) };
}

describe('MyPreferences Events API (004)', () => {
  it('reads events by account, subscription, profile and event id, in PascalCase', async () => {
    const sub = (
      await server.request('POST', '/v1/webhooks', {
        url: `${receiver.url}/mp`,
        eventTypes: ['profile.created', 'profile.updated'],
      })
    ).body;
    for (const traits of [{ a: 1 }, { a: 2 }]) {
      await server.request('POST', '/v1/profiles/userId:mp-user/events', {
        events: [{ type: 'identify', messageId: mid(), traits }],
      });
    }
    await waitFor(() => receiver.received.length >= 2);

    const account = await get('/Events?Limit=1');
    expect(account.status).toBe(200);
    expect(account.body.Events).toHaveLength(1);
    expect(account.body.Events[0]).toMatchObject({ EventType: 'profile.created' });
    const next = await get(`/Events?After=${account.body.NextCursor}`);
    expect(next.body.Events.map((e: { EventType: string }) => e.EventType)).toEqual([
      'profile.updated',
    ]);
    expect(next.body.NextCursor).toBeNull();

    const bySub = await get(`/Subscriptions/${sub.id}/Events?EventType=profile.updated`);
    expect(bySub.body.Events).toHaveLength(1);
    const byProfile = await get('/Profiles/userId:mp-user/Events');
    expect(byProfile.body.Events).toHaveLength(2);
    const profileId = byProfile.body.Events[0].ProfileId;
    expect((await get(`/Profiles/${profileId}/Events`)).body.Events).toHaveLength(2);
    const one = await get(`/Events/${account.body.Events[0].EventId}`);
    expect(one.body).toEqual(account.body.Events[0]);

    const missing = await get('/Events/01900000-0000-7000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ Message: 'No such change event.' });
    expect((await get('/Profiles/userId:nobody/Events')).status).toBe(404);
  });
});
