import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANGE_EVENT_TYPES } from '../../src/modules/webhooks/change-types.js';
import { mid, startTestServer, type TestServer } from '../helpers/test-server.js';
import { startReceiver, type WebhookReceiver, waitFor } from '../helpers/webhook-receiver.js';

/** The environment setting `webhooksRequireConsent`: no consent, no change event about you. */

let server: TestServer;
let receiver: WebhookReceiver;

beforeAll(async () => {
  server = await startTestServer({ env: { TESSERA_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' } });
  receiver = await startReceiver();
});
afterAll(async () => {
  await server.destroy();
  await receiver.close();
});

async function identify(ref: string, traits: object) {
  const res = await server.request('POST', `/v1/profiles/${ref}/events`, {
    events: [{ type: 'identify', messageId: mid(), traits }],
  });
  expect(res.status).toBe(200);
  return res.body.profile.id as string;
}

const consent = (profileId: string, state: string) =>
  server.request('PUT', `/v1/profiles/${profileId}/consents/marketing`, {
    state,
    policyVersion: 'v1',
    source: 'preference-centre',
  });

/** What the receiver got about one profile (after a pause, so that nothing is in flight). */
async function deliveredAbout(profileId: string): Promise<string[]> {
  await new Promise((r) => setTimeout(r, 700));
  return receiver.received
    .filter((r) => r.json?.data?.profileId === profileId)
    .map((r) => `${r.json.type}${r.json.data.state ? `:${r.json.data.state}` : ''}`);
}

async function changeEventsAbout(profileId: string): Promise<number> {
  const rows = await server.storage.db
    .selectFrom('change_events')
    .select('id')
    .where('profile_id', '=', profileId)
    .execute();
  return rows.length;
}

describe('webhooksRequireConsent', () => {
  it('is an admin setting, validated as a consent purpose', async () => {
    const writer = await server.createKey(['read', 'write']);
    const body = { webhooksRequireConsent: 'marketing' };
    expect((await server.request('PATCH', '/v1/environment', body, writer)).status).toBe(403);
    const bad = await server.request('PATCH', '/v1/environment', {
      webhooksRequireConsent: 'not a purpose!',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('body.webhooksRequireConsent');
    const set = await server.request('PATCH', '/v1/environment', body);
    expect(set.status).toBe(200);
    expect(set.body.settings).toMatchObject({ webhooksRequireConsent: 'marketing' });
    const read = await server.request('GET', '/v1/environment');
    expect(read.body.settings.webhooksRequireConsent).toBe('marketing');
    const sub = await server.request('POST', '/v1/webhooks', {
      url: `${receiver.url}/all`,
      eventTypes: [...CHANGE_EVENT_TYPES],
    });
    expect(sub.status).toBe(201);
  });

  it('delivers nothing about a profile without consent, then its changes once granted, and none after withdrawal', async () => {
    const id = await identify('userId:wc-ann', { plan: 'free' });
    await identify('userId:wc-ann', { plan: 'pro' });
    expect(await deliveredAbout(id)).toEqual([]);
    expect(await changeEventsAbout(id)).toBe(0);

    expect((await consent(id, 'granted')).status).toBe(200);
    await identify('userId:wc-ann', { plan: 'team' });
    await waitFor(() =>
      receiver.received.find(
        (r) => r.json?.type === 'profile.updated' && r.json.data.profileId === id,
      ),
    );
    expect(await deliveredAbout(id)).toEqual(['consent.changed:granted', 'profile.updated']);

    // The withdrawal itself is delivered (a receiver must learn to stop); nothing after it.
    expect((await consent(id, 'withdrawn')).status).toBe(200);
    await identify('userId:wc-ann', { plan: 'gold' });
    expect(await deliveredAbout(id)).toEqual([
      'consent.changed:granted',
      'profile.updated',
      'consent.changed:withdrawn',
    ]);
  });

  it('silences denied and expired consents too, and leaves other consents’ changes to the state', async () => {
    const denied = await identify('userId:wc-bob', { a: 1 });
    await consent(denied, 'denied');
    await identify('userId:wc-bob', { a: 2 });
    const expiring = await identify('userId:wc-cat', { a: 1 });
    await server.request('PUT', `/v1/profiles/${expiring}/consents/marketing`, {
      state: 'granted',
      policyVersion: 'v1',
      source: 'preference-centre',
      expiresAt: new Date(Date.now() + 300).toISOString(),
    });
    await new Promise((r) => setTimeout(r, 400));
    await identify('userId:wc-cat', { a: 2 });
    // Another purpose's change is about the person: silenced without marketing consent.
    await server.request('PUT', `/v1/profiles/${denied}/consents/analytics`, {
      state: 'granted',
      policyVersion: 'v1',
      source: 'preference-centre',
    });
    expect(await deliveredAbout(denied)).toEqual(['consent.changed:denied']);
    expect(await deliveredAbout(expiring)).toEqual(['consent.changed:granted']);
  });

  it('still delivers deletion notices, which are not marketing', async () => {
    const id = await identify('userId:wc-dan', { a: 1 });
    expect((await server.request('DELETE', `/v1/profiles/${id}`)).status).toBe(204);
    const deleted = await waitFor(() =>
      receiver.received.find(
        (r) => r.json?.type === 'profile.deleted' && r.json.data.profileIds?.includes(id),
      ),
    );
    expect(deleted.json.data.reason).toBe('deleted');
  });

  it('changes nothing once switched off again', async () => {
    await server.request('PATCH', '/v1/environment', { webhooksRequireConsent: null });
    const id = await identify('userId:wc-eve', { a: 1 });
    await waitFor(() =>
      receiver.received.find(
        (r) => r.json?.type === 'profile.created' && r.json.data.profileId === id,
      ),
    );
  });
});
