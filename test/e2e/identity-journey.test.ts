import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mid, pageEvent, startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.destroy());

const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 10, minute)).toISOString();

describe('identity journey: two devices, one person', () => {
  it('merges anonymous histories from two devices into one known profile with the right traits', async () => {
    const { request } = server;
    // Device A browses anonymously.
    let res = await request('POST', '/v1/events', {
      events: [
        pageEvent({ anonymousId: 'device-a', path: '/home', timestamp: at(0) }),
        pageEvent({ anonymousId: 'device-a', path: '/pricing', timestamp: at(1) }),
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 2, duplicates: 0, rejected: [] });
    const deviceAProfile = res.body.profileIds[0];

    // Device A identifies as ann.
    res = await request('POST', '/v1/events', {
      events: [
        {
          type: 'identify',
          messageId: mid(),
          anonymousId: 'device-a',
          userId: 'ann',
          traits: { name: 'Ann', plan: 'free' },
          timestamp: at(2),
        },
      ],
    });
    expect(res.body.profileIds).toEqual([deviceAProfile]);

    // Device B browses anonymously: a different profile.
    res = await request('POST', '/v1/events', {
      events: [
        pageEvent({ anonymousId: 'device-b', path: '/blog', timestamp: at(10) }),
        {
          type: 'track',
          event: 'Newsletter Signup',
          messageId: mid(),
          anonymousId: 'device-b',
          timestamp: at(11),
        },
        {
          type: 'identify',
          messageId: mid(),
          anonymousId: 'device-b',
          traits: { plan: 'pro', phoneModel: 'x' },
          timestamp: at(12),
        },
      ],
    });
    const deviceBProfile = res.body.profileIds[0];
    expect(deviceBProfile).not.toBe(deviceAProfile);

    // Device B identifies as ann: the anonymous profile merges into ann's.
    res = await request('POST', '/v1/events', {
      events: [
        {
          type: 'identify',
          messageId: mid(),
          anonymousId: 'device-b',
          userId: 'ann',
          timestamp: at(13),
        },
      ],
    });
    expect(res.body.profileIds).toEqual([deviceAProfile]);

    const profile = (await request('GET', '/v1/profiles/userId:ann')).body;
    expect(profile.id).toBe(deviceAProfile);
    expect(profile.mergedIds).toEqual([deviceBProfile]);
    // The newer plan (event time 12 > 2) wins; traits only device B had come along.
    expect(profile.traits).toEqual({ name: 'Ann', plan: 'pro', phoneModel: 'x' });
    expect(profile.identifiers).toEqual(
      expect.arrayContaining([
        { type: 'anonymousId', value: 'device-a' },
        { type: 'anonymousId', value: 'device-b' },
        { type: 'userId', value: 'ann' },
      ]),
    );
    expect(profile.metadata.eventCount).toBe(7);
    expect(profile.metadata.firstEvent.page).toBe(at(0));
    expect(profile.metadata.lastEvent.page).toBe(at(10));
    expect(profile.metadata.firstEvent.newsletter_signup).toBe(at(11));

    // Both histories in one timeline, by event time.
    const events = (await request('GET', '/v1/profiles/userId:ann/events?order=asc&limit=100')).body
      .data;
    expect(events.map((e: { action: string }) => e.action)).toEqual([
      'page',
      'page',
      'identify',
      'page',
      'newsletter_signup',
      'identify',
      'identify',
    ]);
    expect(events[4].name).toBe('Newsletter Signup');

    // Every id of the merged profile resolves to the survivor.
    for (const ref of [
      'anonymousId:device-b',
      deviceBProfile,
      `id:${deviceBProfile}`,
      'anonymousId:device-a',
    ]) {
      const found = await request('GET', `/v1/profiles/${encodeURIComponent(ref)}`);
      expect(found.status, ref).toBe(200);
      expect(found.body.id).toBe(deviceAProfile);
    }
    expect((await request('GET', '/v1/profiles?limit=100')).body.data).toHaveLength(1);

    // The merge is logged with its trigger and both prior states.
    const merges = (await request('GET', '/v1/profiles/userId:ann/merges')).body.data;
    expect(merges).toHaveLength(1);
    expect(merges[0]).toMatchObject({
      survivorId: deviceAProfile,
      mergedId: deviceBProfile,
      reason: { eventType: 'identify' },
    });
    expect(merges[0].survivorBefore.traits).toEqual({ name: 'Ann', plan: 'free' });
    expect(merges[0].mergedBefore.traits).toEqual({ plan: 'pro', phoneModel: 'x' });
  });

  it('gives a user first seen on a device another user identified on a profile of their own', async () => {
    const { request } = server;
    await request('POST', '/v1/events', {
      events: [{ type: 'identify', messageId: mid(), anonymousId: 'family-pc', userId: 'anna' }],
    });
    // Bea signs in on the same computer (the SDK was not reset), before she has any profile.
    const sent = await request('POST', '/v1/events', {
      events: [
        {
          type: 'track',
          event: 'Viewed',
          messageId: mid(),
          anonymousId: 'family-pc',
          userId: 'bea',
        },
        {
          type: 'identify',
          messageId: mid(),
          anonymousId: 'family-pc',
          userId: 'bea',
          traits: { name: 'Bea' },
        },
        { type: 'track', event: 'No device', messageId: mid(), userId: 'bea' },
      ],
    });
    expect(sent.body).toMatchObject({ accepted: 3, rejected: [] });
    const bea = (await request('GET', '/v1/profiles/userId:bea')).body;
    expect(bea.traits).toEqual({ name: 'Bea' });
    expect(bea.identifiers).not.toContainEqual({ type: 'anonymousId', value: 'family-pc' });
    const anna = (await request('GET', '/v1/profiles/userId:anna')).body;
    expect(anna.id).not.toBe(bea.id);
    // The device stays with its owner.
    expect((await request('GET', '/v1/profiles/anonymousId:family-pc')).body.id).toBe(anna.id);
    const events = (await request('GET', `/v1/profiles/${bea.id}/events?limit=10`)).body.data;
    expect(events).toHaveLength(3);
  });

  it('never merges two profiles that each have a different userId', async () => {
    const { request } = server;
    await request('POST', '/v1/events', {
      events: [
        {
          type: 'identify',
          messageId: mid(),
          anonymousId: 'dev-c',
          userId: 'carl',
          traits: { n: 1 },
        },
        {
          type: 'identify',
          messageId: mid(),
          anonymousId: 'dev-d',
          userId: 'dora',
          traits: { n: 2 },
        },
      ],
    });
    const res = await request('POST', '/v1/profiles/userId:carl/events', {
      events: [{ type: 'identify', messageId: mid(), userId: 'dora', traits: { n: 3 } }],
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('identity_conflict');
    expect((await request('GET', '/v1/profiles/userId:carl')).body.traits).toEqual({ n: 1 });
    expect((await request('GET', '/v1/profiles/userId:dora')).body.traits).toEqual({ n: 2 });

    // Through the batch endpoint the conflicting events are rejected by index; others apply.
    const batch = await request('POST', '/v1/events', {
      events: [
        { type: 'alias', messageId: mid(), previousId: 'carl', userId: 'dora' },
        { type: 'track', event: 'Ok', messageId: mid(), userId: 'zed' },
      ],
    });
    expect(batch.status).toBe(200);
    expect(batch.body.accepted).toBe(1);
    expect(batch.body.rejected).toEqual([
      expect.objectContaining({ index: 0, code: 'identity_conflict' }),
    ]);
  });

  it('alias merges an anonymous identity into a known user', async () => {
    const { request } = server;
    await request('POST', '/v1/events', {
      events: [
        pageEvent({ anonymousId: 'anon-e' }),
        { type: 'identify', messageId: mid(), userId: 'erin', traits: { a: 1 } },
      ],
    });
    const res = await request('POST', '/v1/events', {
      events: [{ type: 'alias', messageId: mid(), previousId: 'anon-e', userId: 'erin' }],
    });
    expect(res.body.rejected).toEqual([]);
    const erin = (await request('GET', '/v1/profiles/userId:erin')).body;
    expect((await request('GET', '/v1/profiles/anonymousId:anon-e')).body.id).toBe(erin.id);
    expect(erin.mergedIds).toHaveLength(1);
  });
});
