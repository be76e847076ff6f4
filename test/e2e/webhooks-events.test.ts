import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optOutUser } from '../helpers/opt-out.js';
import { mid, startTestServer, type TestServer } from '../helpers/test-server.js';
import { startReceiver, type WebhookReceiver, waitFor } from '../helpers/webhook-receiver.js';

let server: TestServer;
let receiver: WebhookReceiver;
const SITE = 'site-webhooks';

beforeAll(async () => {
  server = await startTestServer({
    env: { TESSERA_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', TESSERA_WEBHOOK_RETRY_BASE_MS: '50' },
  });
  receiver = await startReceiver();
});
afterAll(async () => {
  await server.destroy();
  await receiver.close();
});

function ingest(ref: string, traits: object, key = server.adminKey) {
  return server.request(
    'POST',
    `/v1/profiles/${ref}/events`,
    { events: [{ type: 'identify', messageId: mid(), traits }] },
    key,
  );
}

async function optOut(userId: string) {
  expect((await optOutUser(server, userId, SITE)).status).toBeLessThan(300);
}

describe('opt-out and erasure', () => {
  it('deliver profile.opted_out without the user id in clear, erase the person’s events, and send nothing after', async () => {
    const sub = (
      await server.request('POST', '/v1/webhooks', {
        url: `${receiver.url}/optout`,
        eventTypes: ['profile.created', 'profile.updated', 'profile.opted_out'],
      })
    ).body;
    // A receiver that is down keeps the person's delivery pending.
    receiver.answer('/optout', { status: 500 }, { status: 500 }, { status: 500 });
    const created = await ingest('userId:olga-secret', { plan: 'x' });
    const profileId = created.body.profile?.id ?? created.body.profileId ?? created.body.id;
    const before = await waitFor(async () => {
      const res = await server.request('GET', `/v1/change-events?subscriptionId=${sub.id}`);
      return res.body.data.length > 0 ? res.body.data : undefined;
    });
    const personId = before[0].profileId as string;
    expect(profileId === undefined || personId === profileId).toBe(true);

    await optOut('olga-secret');
    const event = await waitFor(
      () => receiver.received.find((r) => r.json?.type === 'profile.opted_out'),
      15_000,
    );
    expect(event.body).not.toContain('olga-secret');
    expect(event.json.data).toMatchObject({
      profileId: null,
      userIdSha256: createHash('sha256').update('olga-secret').digest('hex'),
      erasedProfileIds: [personId],
    });
    const left = await server.request('GET', `/v1/change-events?profileId=${personId}`);
    expect(left.body.data).toEqual([]);
    // The person's pending delivery went with their events: only the opt-out's own is left.
    const outbox = await waitFor(async () => {
      const rows = await server.storage.db
        .selectFrom('webhook_deliveries')
        .select('status')
        .where('subscription_id', '=', sub.id)
        .execute();
      return rows.every((d) => d.status !== 'pending') ? rows : undefined;
    });
    expect(outbox.map((d) => d.status)).toEqual(['succeeded']);

    const sent = receiver.received.length;
    await ingest('userId:olga-secret', { plan: 'y' });
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.received.length).toBe(sent);
  });

  it('count change events in the erasure checklist, and erase them', async () => {
    await server.request('POST', '/v1/webhooks', {
      url: `${receiver.url}/erasure`,
      eventTypes: ['profile.created', 'profile.deleted'],
    });
    await new Promise((r) => setTimeout(r, 100));
    await ingest('userId:eric', { a: 1 });
    const erasure = await server.request('POST', '/v1/privacy/erasures', { ref: 'userId:eric' });
    expect(erasure.status).toBe(202);
    expect(Object.keys(erasure.body.remaining)).toEqual(
      expect.arrayContaining(['change_events', 'webhook_deliveries']),
    );
    const done = await waitFor(async () => {
      const res = await server.request('GET', `/v1/privacy/erasures/${erasure.body.id}`);
      return res.body.status === 'done' ? res.body : undefined;
    });
    expect(done.remaining.change_events).toBe(0);
    expect(done.remaining.webhook_deliveries).toBe(0);
    const deleted = await waitFor(() =>
      receiver.received.find((r) => r.path === '/erasure' && r.json?.type === 'profile.deleted'),
    );
    expect(deleted.json.data).toMatchObject({ reason: 'erasure', profileId: null });
  });

  it('tell receivers that an anonymous profile identified as an opted-out user was erased', async () => {
    await server.request('POST', '/v1/webhooks', {
      url: `${receiver.url}/identified`,
      eventTypes: ['profile.created', 'profile.deleted'],
    });
    await ingest('userId:eve-out', { a: 1 });
    await optOut('eve-out');
    const anon = await server.request('POST', '/v1/events', {
      events: [{ type: 'identify', messageId: mid(), anonymousId: 'eve-device', traits: { b: 1 } }],
    });
    expect(anon.status).toBe(200);
    // The anonymous profile's id as stored (the user's own profile.created may come first).
    const anonId = (await server.request('GET', '/v1/profiles/anonymousId:eve-device')).body.id;
    await waitFor(() =>
      receiver.received.find(
        (r) =>
          r.path === '/identified' &&
          r.json?.type === 'profile.created' &&
          r.json.data.profileId === anonId,
      ),
    );
    const tied = await server.request('POST', '/v1/events', {
      events: [
        { type: 'identify', messageId: mid(), anonymousId: 'eve-device', userId: 'eve-out' },
      ],
    });
    expect(tied.body.suppressed).toBe(1);
    const deleted = await waitFor(() =>
      receiver.received.find((r) => r.path === '/identified' && r.json?.type === 'profile.deleted'),
    );
    expect(deleted.json.data).toMatchObject({
      profileId: null,
      profileIds: [anonId],
      reason: 'opted-out',
    });
  });
});

describe('environments without subscriptions', () => {
  it('write nothing extra on the hot path (and a disabled subscription counts as none)', async () => {
    const quietKey = await server.createKey(['admin'], 'default', 'quiet');
    const off = await server.request(
      'POST',
      '/v1/webhooks',
      { url: `${receiver.url}/off`, eventTypes: ['profile.created'], enabled: false },
      quietKey,
    );
    expect(off.status).toBe(201);
    const count = async () =>
      Number(
        (
          await server.storage.db
            .selectFrom('change_events')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    expect((await ingest('userId:quiet', { a: 1 }, quietKey)).status).toBe(200);
    expect(await count()).toBe(before);
  });
});

describe('events API', () => {
  it('pages change events oldest first and filters by subscription, profile and type', async () => {
    const readKey = await server.createKey(['read'], 'default', 'main');
    const a = (
      await server.request('POST', '/v1/webhooks', {
        url: `${receiver.url}/paging-a`,
        eventTypes: ['profile.created'],
      })
    ).body;
    await server.request('POST', '/v1/webhooks', {
      url: `${receiver.url}/paging-b`,
      eventTypes: ['profile.updated'],
    });
    for (const name of ['p1', 'p2', 'p3']) {
      await ingest(`userId:${name}`, { n: 1 });
      await ingest(`userId:${name}`, { n: 2 });
    }
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const query: string = `subscriptionId=${a.id}&limit=2${after ? `&after=${after}` : ''}`;
      const res = await server.request('GET', `/v1/change-events?${query}`, undefined, readKey);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((e: { type: string }) => e.type));
      after = res.body.next;
    } while (after);
    expect(seen).toEqual(['profile.created', 'profile.created', 'profile.created']);

    const updated = await server.request('GET', '/v1/change-events?type=profile.updated');
    const one = updated.body.data.at(-1);
    expect(one.type).toBe('profile.updated');
    const byProfile = await server.request('GET', `/v1/change-events?profileId=${one.profileId}`);
    expect(byProfile.body.data.every((e: { profileId: string }) => e.profileId === one.profileId));
    expect((await server.request('GET', `/v1/change-events/${one.id}`)).body).toEqual(one);
    expect((await server.request('GET', '/v1/change-events?after=nope')).status).toBe(400);
  });

  it('keeps environments apart: subscriptions, events and deliveries', async () => {
    const otherKey = await server.createKey(['admin'], 'default', 'other');
    const mine = (await server.request('GET', '/v1/change-events?limit=1')).body.data[0];
    expect(
      (await server.request('GET', `/v1/change-events/${mine.id}`, undefined, otherKey)).status,
    ).toBe(404);
    expect(
      (await server.request('GET', '/v1/change-events', undefined, otherKey)).body.data,
    ).toEqual([]);
    const subs = (await server.request('GET', '/v1/webhooks')).body.data;
    const theirs = await server.request('GET', `/v1/webhooks/${subs[0].id}`, undefined, otherKey);
    expect(theirs.status).toBe(404);
    expect((await server.request('GET', '/v1/webhooks', undefined, otherKey)).body.data).toEqual(
      [],
    );
    const other = (
      await server.request(
        'POST',
        '/v1/webhooks',
        { url: `${receiver.url}/other-env`, eventTypes: ['profile.created'] },
        otherKey,
      )
    ).body;
    await ingest('userId:only-main', { a: 1 });
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.received.filter((r) => r.path === '/other-env')).toEqual([]);
    await ingest('userId:in-other', { a: 1 }, otherKey);
    await waitFor(() => receiver.received.find((r) => r.path === '/other-env'));
    const events = await server.request(
      'GET',
      `/v1/change-events?subscriptionId=${other.id}`,
      undefined,
      otherKey,
    );
    expect(events.body.data).toHaveLength(1);
  });
});
