import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  mid,
  pageEvent,
  startTestServer,
  type TestServer,
  tableCounts,
} from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.destroy());

describe('idempotency by messageId', () => {
  it('acknowledges a repeated messageId without applying it again, within and across requests', async () => {
    const { request } = server;
    const track = {
      type: 'track',
      event: 'Order Completed',
      messageId: 'order-1',
      properties: { total: 10 },
    };
    let res = await request('POST', '/v1/profiles/userId:dup-user/events', {
      events: [track, track],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 1, duplicates: 1 });
    res = await request('POST', '/v1/profiles/userId:dup-user/events', { events: [track] });
    expect(res.body).toMatchObject({ accepted: 0, duplicates: 1 });
    expect(res.body.profile.metadata.eventCount).toBe(1);
    const events = await request('GET', '/v1/profiles/userId:dup-user/events');
    expect(events.body.data).toHaveLength(1);
  });

  it('keeps the memory of a messageId durable across a restart', async () => {
    const dirServer = await startTestServer();
    await dirServer.request('POST', '/v1/profiles/userId:u/events', {
      events: [{ type: 'track', event: 'A', messageId: 'persisted-id' }],
    });
    await dirServer.stop();
    const again = await startTestServer({ dir: dirServer.dir });
    const key = await again.createKey(['write', 'read']);
    const res = await again.request(
      'POST',
      '/v1/profiles/userId:u/events',
      { events: [{ type: 'track', event: 'A', messageId: 'persisted-id' }] },
      key,
    );
    expect(res.body).toMatchObject({ accepted: 0, duplicates: 1 });
    await again.destroy();
  });

  it('never collides across environments', async () => {
    const otherKey = await server.createKey(['read', 'write'], 'default', 'staging');
    const body = { events: [{ type: 'track', event: 'X', messageId: 'shared-message' }] };
    const first = await server.request('POST', '/v1/profiles/userId:env-user/events', body);
    const second = await server.request(
      'POST',
      '/v1/profiles/userId:env-user/events',
      body,
      otherKey,
    );
    expect(first.body.accepted).toBe(1);
    expect(second.body.accepted).toBe(1);
    expect(second.body.profile.id).not.toBe(first.body.profile.id);
  });
});

describe('event time ordering', () => {
  it('never lets a late event overwrite a newer trait value', async () => {
    const { request } = server;
    const identify = (plan: string, timestamp: string) => ({
      type: 'identify',
      messageId: mid(),
      traits: { plan },
      timestamp,
    });
    await request('POST', '/v1/profiles/userId:late/events', {
      events: [identify('gold', '2026-11-01T12:00:00.000Z')],
    });
    const res = await request('POST', '/v1/profiles/userId:late/events', {
      events: [identify('bronze', '2026-11-01T11:00:00.000Z')],
    });
    expect(res.body.profile.traits.plan).toBe('gold');
    expect(res.body.profile.traitsMeta.plan).toEqual({
      updatedAt: '2026-11-01T12:00:00.000Z',
      source: 'native',
    });
    // The late event is still in the timeline, at its own time.
    const events = (await request('GET', '/v1/profiles/userId:late/events?order=asc')).body.data;
    expect(events.map((e: { timestamp: string }) => e.timestamp)).toEqual([
      '2026-11-01T11:00:00.000Z',
      '2026-11-01T12:00:00.000Z',
    ]);
  });

  it('corrects client clock skew with sentAt and clamps far-future times', async () => {
    const { request } = server;
    const before = Date.now();
    const res = await request('POST', '/v1/profiles/userId:skew/events', {
      events: [
        // The client clock runs an hour fast: the event happened 10 s before it was sent.
        {
          type: 'track',
          event: 'Skewed',
          messageId: mid(),
          timestamp: new Date(before + 3_600_000 - 10_000).toISOString(),
          sentAt: new Date(before + 3_600_000).toISOString(),
        },
        { type: 'track', event: 'Future', messageId: mid(), timestamp: '2099-01-01T00:00:00.000Z' },
      ],
    });
    expect(res.status).toBe(200);
    const events = (await request('GET', '/v1/profiles/userId:skew/events?order=asc')).body.data;
    const skewed = events.find((e: { action: string }) => e.action === 'skewed');
    const future = events.find((e: { action: string }) => e.action === 'future');
    const skewedAt = Date.parse(skewed.timestamp);
    expect(skewedAt).toBeGreaterThanOrEqual(before - 10_000 - 1_000);
    expect(skewedAt).toBeLessThanOrEqual(Date.now() - 10_000 + 1_000);
    expect(Date.parse(future.timestamp)).toBe(Date.parse(future.receivedAt));
    expect(future.warnings?.length).toBeGreaterThan(0);
  });
});

describe('preflight', () => {
  it('computes the profile and stores nothing', async () => {
    const before = await tableCounts(server.storage);
    const res = await server.request(
      'POST',
      '/v1/profiles/userId:preflight-only/events?preflight=true',
      {
        events: [{ type: 'identify', messageId: mid(), traits: { x: 1 } }],
      },
    );
    expect(res.status).toBe(200);
    expect(res.body.profile.traits).toEqual({ x: 1 });
    expect(await tableCounts(server.storage)).toEqual(before);
    expect((await server.request('GET', '/v1/profiles/userId:preflight-only')).status).toBe(404);
  });
});

describe('sessions', () => {
  it('starts a new session after 30 minutes of inactivity, by event time', async () => {
    const t = (m: number) => new Date(Date.UTC(2026, 10, 2, 9, m)).toISOString();
    const res = await server.request('POST', '/v1/profiles/anonymousId:sess/events', {
      events: [
        pageEvent({ path: '/a', timestamp: t(0) }),
        pageEvent({ path: '/b', timestamp: t(10) }),
        pageEvent({ path: '/c', timestamp: t(50) }),
        pageEvent({ path: '/d', timestamp: t(55) }),
      ],
    });
    const session = res.body.profile.session;
    expect(session).toMatchObject({
      count: 2,
      isReturningVisitor: true,
      activeSessionLength: 5 * 60_000,
      averageSessionLength: (10 * 60_000 + 5 * 60_000) / 2,
    });
    expect(session.landingPage.path).toBe('/c');
  });
});
