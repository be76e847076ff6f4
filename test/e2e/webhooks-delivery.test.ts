import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../src/modules/webhooks/webhook-signature.js';
import { mid, pageEvent, startTestServer, type TestServer } from '../helpers/test-server.js';
import {
  type ReceivedWebhook,
  startReceiver,
  type WebhookReceiver,
  waitFor,
} from '../helpers/webhook-receiver.js';

let server: TestServer;
let receiver: WebhookReceiver;

beforeAll(async () => {
  server = await startTestServer({
    env: {
      // Delivery tests send to a listener on 127.0.0.1.
      TESSERA_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
      TESSERA_WEBHOOK_RETRY_BASE_MS: '50',
      TESSERA_WEBHOOK_MAX_ATTEMPTS: '3',
      TESSERA_WEBHOOK_TIMEOUT_MS: '2000',
    },
  });
  receiver = await startReceiver();
});
afterAll(async () => {
  await server.destroy();
  await receiver.close();
});

const ALL_TYPES = [
  'profile.created',
  'profile.updated',
  'profile.merged',
  'profile.unmerged',
  'profile.deleted',
  'audience.entered',
  'audience.exited',
  'consent.changed',
  'preference.changed',
  'profile.opted_out',
];

async function subscribe(path: string, eventTypes = ALL_TYPES, key = server.adminKey) {
  const res = await server.request(
    'POST',
    '/v1/webhooks',
    { url: `${receiver.url}${path}`, eventTypes },
    key,
  );
  expect(res.status).toBe(201);
  return res.body as { id: string; secret: string };
}

function at(path: string, type?: string): ReceivedWebhook[] {
  return receiver.received.filter((r) => r.path === path && (!type || r.json?.type === type));
}

function ingest(ref: string, events: object[]) {
  return server.request('POST', `/v1/profiles/${ref}/events`, {
    events: events.map((e) => ({ messageId: mid(), ...e })),
  });
}

describe('webhook subscriptions', () => {
  it('are created with a secret shown once, listed, read, changed, rotated and deleted (admin only)', async () => {
    const readKey = await server.createKey(['read']);
    const refused = await server.request(
      'POST',
      '/v1/webhooks',
      { url: `${receiver.url}/x`, eventTypes: ['profile.created'] },
      readKey,
    );
    expect(refused.status).toBe(403);
    expect((await server.request('GET', '/v1/webhooks', undefined, null)).status).toBe(401);

    const created = await subscribe('/crud', ['profile.created']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    const got = await server.request('GET', `/v1/webhooks/${created.id}`);
    expect(got.body).toMatchObject({ url: `${receiver.url}/crud`, enabled: true });
    expect(got.body.secret).toBeUndefined();
    expect(JSON.stringify((await server.request('GET', '/v1/webhooks')).body)).not.toContain(
      created.secret,
    );
    const patched = await server.request('PATCH', `/v1/webhooks/${created.id}`, {
      enabled: false,
      eventTypes: ['profile.updated', 'profile.deleted'],
    });
    expect(patched.body).toMatchObject({ enabled: false, disabledReason: 'manual' });
    expect(patched.body.eventTypes).toEqual(['profile.updated', 'profile.deleted']);
    const rotated = await server.request('POST', `/v1/webhooks/${created.id}/rotate-secret`);
    expect(rotated.body.secret).not.toBe(created.secret);
    const bad = await server.request('POST', '/v1/webhooks', {
      url: `${receiver.url}/x`,
      eventTypes: ['profile.exploded'],
    });
    expect(bad.status).toBe(400);
    expect((await server.request('DELETE', `/v1/webhooks/${created.id}`)).status).toBe(204);
    expect((await server.request('GET', `/v1/webhooks/${created.id}`)).status).toBe(404);
  });
});

describe('deliveries', () => {
  let sub: { id: string; secret: string };

  beforeAll(async () => {
    sub = await subscribe('/main');
  });

  it('deliver profile.created then profile.updated, signed the Standard Webhooks way', async () => {
    await ingest('userId:wanda', [{ type: 'identify', traits: { plan: 'free', email: 'w@x.io' } }]);
    const created = await waitFor(() => at('/main', 'profile.created')[0]);
    const { headers, body, json } = created;
    expect(headers['content-type']).toBe('application/json');
    const id = headers['webhook-id'] as string;
    const timestamp = Number(headers['webhook-timestamp']);
    expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60);
    expect(
      verifyWebhook(sub.secret, id, timestamp, body, headers['webhook-signature'] as string),
    ).toBe(true);
    expect(json.data).toMatchObject({ id, changedTraits: ['email', 'plan'] });
    // What changed, not the values: no trait value or identifier in the payload.
    expect(body).not.toContain('w@x.io');
    expect(body).not.toContain('wanda');

    await ingest('userId:wanda', [{ type: 'track', event: 'Clicked' }]);
    const updated = await waitFor(() => at('/main', 'profile.updated')[0]);
    expect(updated.json.data).toMatchObject({ changedTraits: [], eventTypes: ['track'] });
    expect(updated.json.data.profileId).toBe(json.data.profileId);
  });

  it('deliver merges, unmerges and deletions', async () => {
    expect((await ingest('anonymousId:anon-m1', [pageEvent()])).status).toBe(200);
    await ingest('userId:mira', [{ type: 'identify', traits: { plan: 'pro' } }]);
    const merged = await server.request('POST', '/v1/events', {
      events: [{ type: 'identify', messageId: mid(), anonymousId: 'anon-m1', userId: 'mira' }],
    });
    expect(merged.status).toBe(200);
    const event = await waitFor(() => at('/main', 'profile.merged')[0]);
    expect(event.json.data).toMatchObject({ trigger: 'identify' });
    expect(event.body).not.toContain('anon-m1');
    const mergeId = event.json.data.mergeId as string;
    const undo = await server.request('POST', `/v1/profiles/userId:mira/merges/${mergeId}/undo`);
    expect(undo.status).toBe(200);
    await waitFor(() => at('/main', 'profile.unmerged')[0]);

    const profileId = event.json.data.survivorId as string;
    expect((await server.request('DELETE', '/v1/profiles/userId:mira')).status).toBe(204);
    const deleted = await waitFor(() => at('/main', 'profile.deleted')[0]);
    expect(deleted.json.data.profileIds).toContain(profileId);
    // The person's earlier change events went with them; only the deletion remains.
    const left = await server.request('GET', `/v1/change-events?profileId=${profileId}`);
    expect(left.body.data.map((e: { type: string }) => e.type)).toEqual(['profile.deleted']);
  });

  it('deliver merges asked for through the profile management API', async () => {
    const create = async (customId: string) =>
      (await server.request('POST', '/v4/clients', { customId })).body.clientId as string;
    const target = await create('wh-merge-target');
    const source = await create('wh-merge-source');
    const res = await server.request(
      'POST',
      `/v4/clients/merge/from/ids/${source}/to/id/${target}`,
    );
    expect(res.status).toBe(200);
    const event = await waitFor(
      () => at('/main', 'profile.merged').filter((r) => r.json.data.mergedId === source)[0],
    );
    expect(event.json.data).toMatchObject({ survivorId: target, trigger: 'merge-request' });
  });

  it('deliver audience entries and exits, and consent and preference changes', async () => {
    await server.request('POST', '/v1/audiences', {
      id: 'vip',
      name: 'VIP',
      rule: { trait: 'tier', op: 'equals', value: 'gold' },
    });
    await server.request('POST', '/v1/audiences/vip/publish');
    await ingest('userId:gus', [{ type: 'identify', traits: { tier: 'gold' } }]);
    const entered = await waitFor(() => at('/main', 'audience.entered')[0]);
    expect(entered.json.data.audienceId).toBe('vip');
    await ingest('userId:gus', [{ type: 'identify', traits: { tier: 'tin' } }]);
    await waitFor(() => at('/main', 'audience.exited')[0]);

    const consent = await server.request('PUT', '/v1/profiles/userId:gus/consents/marketing', {
      state: 'granted',
      policyVersion: 'v1',
      source: 'web',
    });
    expect(consent.status).toBe(200);
    const changed = await waitFor(() => at('/main', 'consent.changed')[0]);
    expect(changed.json.data).toMatchObject({ purpose: 'marketing', state: 'granted' });
    const pref = await server.request('PUT', '/v1/profiles/userId:gus/preferences/news/email', {
      subscribed: true,
      source: 'web',
    });
    expect(pref.status).toBe(200);
    const prefEvent = await waitFor(() => at('/main', 'preference.changed')[0]);
    expect(prefEvent.json.data).toMatchObject({ topic: 'news', channel: 'email' });
  });

  it('retry a failing receiver with backoff, and log every attempt', async () => {
    const retry = await subscribe('/retry', ['profile.created']);
    receiver.answer('/retry', { status: 500 }, { status: 503 });
    await ingest('userId:rita', [{ type: 'identify', traits: { a: 1 } }]);
    await waitFor(() => at('/retry').length >= 3 && true);
    const [first, , third] = at('/retry');
    // Same message id, a fresh timestamp and signature per attempt.
    expect(third!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    const log = await waitFor(async () => {
      const res = await server.request('GET', `/v1/webhooks/${retry.id}/deliveries`);
      return res.body.data.length === 3 ? res.body.data : undefined;
    });
    expect(log.map((e: { statusCode: number }) => e.statusCode)).toEqual([200, 503, 500]);
    expect(log[2]).toMatchObject({ attempt: 1, error: 'HTTP 500', eventType: 'profile.created' });
    expect(log[0].durationMs).toBeGreaterThanOrEqual(0);
  });

  it('mark a delivery failed after the last attempt', async () => {
    const failing = await subscribe('/failing', ['profile.created']);
    receiver.answer('/failing', { status: 500 }, { status: 500 }, { status: 500 });
    await ingest('userId:fay', [{ type: 'identify', traits: { a: 1 } }]);
    const log = await waitFor(async () => {
      const res = await server.request('GET', `/v1/webhooks/${failing.id}/deliveries`);
      return res.body.data.length === 3 ? res.body.data : undefined;
    });
    expect(log.every((e: { statusCode: number }) => e.statusCode === 500)).toBe(true);
    await new Promise((r) => setTimeout(r, 600));
    expect(at('/failing')).toHaveLength(3);
  });

  it('disable the subscription when the receiver answers 410 Gone', async () => {
    const gone = await subscribe('/gone', ['profile.created']);
    receiver.answer('/gone', { status: 410 });
    await ingest('userId:gina', [{ type: 'identify', traits: { a: 1 } }]);
    const disabled = await waitFor(async () => {
      const res = await server.request('GET', `/v1/webhooks/${gone.id}`);
      return res.body.enabled === false ? res.body : undefined;
    });
    expect(disabled.disabledReason).toBe('gone');
    await ingest('userId:gina2', [{ type: 'identify', traits: { a: 1 } }]);
    await new Promise((r) => setTimeout(r, 600));
    expect(at('/gone')).toHaveLength(1);
  });

  it('never follow a redirect: a 3xx is a failed attempt', async () => {
    const redirected = await subscribe('/redirect', ['profile.created']);
    receiver.answer('/redirect', {
      status: 302,
      headers: { location: `${receiver.url}/elsewhere` },
    });
    await ingest('userId:rex', [{ type: 'identify', traits: { a: 1 } }]);
    const log = await waitFor(async () => {
      const res = await server.request('GET', `/v1/webhooks/${redirected.id}/deliveries`);
      return res.body.data.length > 0 ? res.body.data : undefined;
    });
    expect(log.at(-1)).toMatchObject({ statusCode: 302, error: 'redirect (302) not followed' });
    expect(at('/elsewhere')).toHaveLength(0);
  });
});
