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

describe('listing profiles', () => {
  it('walks every profile exactly once with the cursor', async () => {
    const events = Array.from({ length: 25 }, (_, i) => pageEvent({ anonymousId: `list-${i}` }));
    await server.request('POST', '/v1/events', { events });
    const seen: string[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const query: string = next ? `&cursor=${next}` : '';
      const res = await server.request('GET', `/v1/profiles?limit=10${query}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((p: { id: string }) => p.id));
      next = res.body.next;
      pages++;
    } while (next);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(25);
  });
});

describe("a profile's events", () => {
  it('filters by action and time, orders, and pages with a cursor', async () => {
    const t = (m: number) => new Date(Date.UTC(2026, 10, 5, 12, m)).toISOString();
    const events = [
      ...Array.from({ length: 7 }, (_, i) => pageEvent({ timestamp: t(i) })),
      ...Array.from({ length: 5 }, (_, i) => ({
        type: 'track',
        event: 'Email Opened',
        messageId: mid(),
        timestamp: t(10 + i),
      })),
      { type: 'track', event: 'Order Completed', messageId: mid(), timestamp: t(20) },
    ];
    await server.request('POST', '/v1/profiles/userId:timeline/events', { events });
    const get = async (q: string) =>
      (await server.request('GET', `/v1/profiles/userId:timeline/events?${q}`)).body;

    const latest = await get('limit=1');
    expect(latest.data[0].action).toBe('order_completed');

    const opened = await get('include=email_opened&limit=100');
    expect(opened.data).toHaveLength(5);
    expect(opened.data[0].timestamp).toBe(t(14));

    const notPages = await get('exclude=page,email_opened');
    expect(notPages.data.map((e: { action: string }) => e.action)).toEqual(['order_completed']);

    const window = await get(`start=${t(3)}&end=${t(11)}&order=asc&limit=100`);
    expect(window.data.map((e: { timestamp: string }) => e.timestamp)).toEqual([
      t(3),
      t(4),
      t(5),
      t(6),
      t(10),
      t(11),
    ]);

    const collected: string[] = [];
    let next: string | null = null;
    do {
      const page = await get(`order=asc&limit=4${next ? `&cursor=${next}` : ''}`);
      collected.push(...page.data.map((e: { timestamp: string }) => e.timestamp));
      next = page.next;
    } while (next);
    expect(collected).toHaveLength(13);
    expect([...collected].sort()).toEqual(collected);
  });
});

describe('shared email', () => {
  it('answers a list when several profiles share an email, and one profile otherwise', async () => {
    await server.request('POST', '/v1/events', {
      events: [
        {
          type: 'identify',
          userId: 'e1',
          traits: { email: 'Family@Example.com' },
          messageId: mid(),
        },
        {
          type: 'identify',
          userId: 'e2',
          traits: { email: 'family@example.com' },
          messageId: mid(),
        },
        {
          type: 'identify',
          userId: 'e3',
          traits: { email: 'solo@example.com', phone: '+1 555 0100' },
          messageId: mid(),
        },
      ],
    });
    const shared = await server.request('GET', '/v1/profiles/email:family@example.com');
    expect(shared.status).toBe(200);
    expect(
      shared.body.data
        .map(
          (p: { identifiers: Array<{ type: string; value: string }> }) =>
            p.identifiers.find((i) => i.type === 'userId')?.value,
        )
        .sort(),
    ).toEqual(['e1', 'e2']);
    const solo = await server.request('GET', '/v1/profiles/email:solo@example.com');
    expect(solo.body.data).toBeUndefined();
    expect(solo.body.identifiers).toContainEqual({ type: 'userId', value: 'e3' });
    expect((await server.request('GET', '/v1/profiles/phone:+15550100')).body.id).toBe(
      solo.body.id,
    );
    // A shared email is never a reason to merge, and events cannot be addressed through it.
    const ambiguous = await server.request('POST', '/v1/profiles/email:family@example.com/events', {
      events: [{ type: 'track', event: 'x', messageId: mid() }],
    });
    expect(ambiguous.status).toBe(409);
  });

  it('compares an email or phone reference as profiles hold them', async () => {
    const before = await tableCounts(server.storage);
    for (const ref of ['email:not-an-email', 'phone:abc']) {
      const read = await server.request('GET', `/v1/profiles/${encodeURIComponent(ref)}`);
      expect(read.status, ref).toBe(400);
      expect(read.body.code).toBe('invalid_reference');
      const write = await server.request('POST', `/v1/profiles/${encodeURIComponent(ref)}/events`, {
        events: [{ type: 'track', event: 'x', messageId: mid() }],
      });
      expect(write.status, ref).toBe(400);
    }
    expect(await tableCounts(server.storage)).toEqual(before);

    const solo = await server.request('GET', '/v1/profiles/email:Solo@EXAMPLE.com');
    expect(solo.status).toBe(200);
    expect(solo.body.identifiers).toContainEqual({ type: 'userId', value: 'e3' });
    const applied = await server.request(
      'POST',
      `/v1/profiles/${encodeURIComponent('phone:+1 (555) 0100')}/events`,
      { events: [{ type: 'track', event: 'by-phone', messageId: mid() }] },
    );
    expect(applied.status).toBe(200);
    expect(applied.body.profile.id).toBe(solo.body.id);
    // One that nobody holds creates the profile, holding the email as an identify would store it.
    const created = await server.request(
      'POST',
      '/v1/profiles/email:New.Person@Example.COM/events',
      {
        events: [{ type: 'track', event: 'x', messageId: mid() }],
      },
    );
    expect(created.status).toBe(200);
    expect(created.body.profile.identifiers).toEqual([
      { type: 'email', value: 'new.person@example.com' },
    ]);
    const identified = await server.request('POST', '/v1/events', {
      events: [
        {
          type: 'identify',
          userId: 'np',
          traits: { email: 'NEW.person@example.com' },
          messageId: mid(),
        },
      ],
    });
    expect(identified.status).toBe(200);
    const found = await server.request('GET', '/v1/profiles/email:new.person@example.com');
    expect(found.body.data).toHaveLength(2);
  });
});

describe('deleting a profile', () => {
  it('removes the profile, what was merged into it, its events, and its aliases answer 404', async () => {
    await server.request('POST', '/v1/events', {
      events: [
        pageEvent({ anonymousId: 'del-anon' }),
        { type: 'identify', messageId: mid(), userId: 'del-user' },
      ],
    });
    await server.request('POST', '/v1/events', {
      events: [{ type: 'identify', messageId: mid(), anonymousId: 'del-anon', userId: 'del-user' }],
    });
    const profile = (await server.request('GET', '/v1/profiles/userId:del-user')).body;
    expect(profile.mergedIds).toHaveLength(1);
    const before = await tableCounts(server.storage);
    const res = await server.request('DELETE', '/v1/profiles/userId:del-user');
    expect(res.status).toBe(204);
    for (const ref of [
      'userId:del-user',
      'anonymousId:del-anon',
      profile.id,
      profile.mergedIds[0],
    ]) {
      expect((await server.request('GET', `/v1/profiles/${ref}`)).status, ref).toBe(404);
    }
    const after = await tableCounts(server.storage);
    expect(after.profiles).toBe(before.profiles - 2);
    expect(after.events).toBe(before.events - 3);
    expect(after.merges).toBe(before.merges - 1);
    const left = await server.storage.db
      .selectFrom('events')
      .select('id')
      .where('profile_id', 'in', [profile.id, ...profile.mergedIds])
      .execute();
    expect(left).toEqual([]);
  });
});
