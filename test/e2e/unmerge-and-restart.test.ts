import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mid, pageEvent, startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  // Webhook subscriptions to a local address that never answers: only the change events count.
  server = await startTestServer({ env: { TESSERA_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true' } });
});
afterAll(() => server.destroy());

describe('unmerge', () => {
  it('gives back the identifiers, the traits, sticky variants and events the merged side brought', async () => {
    const { request } = server;
    const t = (m: number) => new Date(Date.UTC(2026, 10, 3, 8, m)).toISOString();
    await request('POST', '/v1/events', {
      events: [
        {
          type: 'identify',
          messageId: mid(),
          userId: 'kim',
          anonymousId: 'kim-laptop',
          traits: { name: 'Kim', tier: 'a' },
          timestamp: t(0),
        },
        pageEvent({ anonymousId: 'shared-tablet', path: '/toys', timestamp: t(5) }),
        {
          type: 'identify',
          messageId: mid(),
          anonymousId: 'shared-tablet',
          traits: { favourite: 'toys', tier: 'b' },
          timestamp: t(6),
        },
        {
          type: 'component',
          messageId: mid(),
          anonymousId: 'shared-tablet',
          componentId: 'hero',
          experienceId: 'exp-toys',
          variantIndex: 1,
          timestamp: t(6),
        },
      ],
    });
    const tablet = (await request('GET', '/v1/profiles/anonymousId:shared-tablet')).body;
    // The tablet is wrongly identified as kim.
    await request('POST', '/v1/events', {
      events: [
        {
          type: 'identify',
          messageId: mid(),
          anonymousId: 'shared-tablet',
          userId: 'kim',
          timestamp: t(7),
        },
      ],
    });
    const merged = (await request('GET', '/v1/profiles/userId:kim')).body;
    expect(merged.traits).toEqual({ name: 'Kim', tier: 'b', favourite: 'toys' });
    expect(merged.mergedIds).toEqual([tablet.id]);
    expect(Object.keys(merged.stickyVariants)).toEqual(['exp-toys']);
    expect(merged.metadata.eventCount).toBe(5);

    const [merge] = (await request('GET', '/v1/profiles/userId:kim/merges')).body.data;
    const undo = await request('POST', `/v1/profiles/userId:kim/merges/${merge.id}/undo`);
    expect(undo.status).toBe(200);

    const kim = (await request('GET', '/v1/profiles/userId:kim')).body;
    expect(kim.traits).toEqual({ name: 'Kim', tier: 'a' });
    expect(kim.mergedIds).toEqual([]);
    // Kim's own identify and the one that merged; the tablet's three events went back to it.
    expect(kim.metadata.eventCount).toBe(2);
    expect(kim.stickyVariants).toEqual({});
    expect(kim.identifiers).not.toContainEqual({ type: 'anonymousId', value: 'shared-tablet' });

    const restored = (await request('GET', '/v1/profiles/anonymousId:shared-tablet')).body;
    expect(restored.id).toBe(tablet.id);
    expect(restored.traits).toEqual({ favourite: 'toys', tier: 'b' });
    expect(Object.keys(restored.stickyVariants)).toEqual(['exp-toys']);
    const tabletEvents = (await request('GET', `/v1/profiles/${tablet.id}/events`)).body.data;
    expect(tabletEvents.map((e: { action: string }) => e.action).sort()).toEqual([
      'component',
      'identify',
      'page',
    ]);
    const kimEvents = (await request('GET', '/v1/profiles/userId:kim/events')).body.data;
    expect(kimEvents.every((e: { profileId: string }) => e.profileId !== tablet.id)).toBe(true);

    // The log shows the merge as undone, and it cannot be undone twice.
    const log = (await request('GET', '/v1/profiles/userId:kim/merges')).body.data;
    expect(log[0].undoneAt).not.toBeNull();
    const again = await request('POST', `/v1/profiles/userId:kim/merges/${merge.id}/undo`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('merge_not_undoable');
  });

  it('gives back identifiers the merged side took in the very request that merged it', async () => {
    const { request } = server;
    await request('POST', '/v1/events', {
      events: [{ type: 'identify', messageId: mid(), userId: 'bo' }],
    });
    await request('POST', '/v1/events', { events: [pageEvent({ anonymousId: 'bo-1' })] });
    await request('POST', '/v1/profiles/anonymousId:bo-1/events', {
      events: [
        pageEvent({ anonymousId: 'bo-2' }),
        { type: 'identify', messageId: mid(), traits: { email: 'Bo2@Example.com' } },
        { type: 'identify', messageId: mid(), userId: 'bo' },
      ],
    });
    const merges = (await request('GET', '/v1/profiles/userId:bo/merges')).body.data;
    expect(merges).toHaveLength(1);
    const undo = await request('POST', `/v1/profiles/userId:bo/merges/${merges[0].id}/undo`);
    expect(undo.status).toBe(200);
    const bo = (await request('GET', '/v1/profiles/userId:bo')).body;
    for (const ref of ['anonymousId:bo-1', 'anonymousId:bo-2', 'email:bo2@example.com']) {
      const holder = (await request('GET', `/v1/profiles/${ref}`)).body;
      expect(holder.id, ref).not.toBe(bo.id);
      expect(holder.identifiers, ref).toContainEqual({
        type: ref.split(':')[0],
        value: ref.slice(ref.indexOf(':') + 1),
      });
    }
  });

  it('keeps a trait the survivor overwrote after the merge', async () => {
    const { request } = server;
    const t = (m: number) => new Date(Date.UTC(2026, 10, 4, 8, m)).toISOString();
    await request('POST', '/v1/events', {
      events: [
        { type: 'identify', messageId: mid(), userId: 'lee', traits: { a: 1 }, timestamp: t(0) },
        {
          type: 'identify',
          messageId: mid(),
          anonymousId: 'lee-phone',
          traits: { b: 'phone' },
          timestamp: t(1),
        },
      ],
    });
    await request('POST', '/v1/events', {
      events: [
        {
          type: 'identify',
          messageId: mid(),
          anonymousId: 'lee-phone',
          userId: 'lee',
          timestamp: t(2),
        },
      ],
    });
    await request('POST', '/v1/profiles/userId:lee/events', {
      events: [{ type: 'identify', messageId: mid(), traits: { b: 'set-later' }, timestamp: t(3) }],
    });
    const [merge] = (await request('GET', '/v1/profiles/userId:lee/merges')).body.data;
    await request('POST', `/v1/profiles/userId:lee/merges/${merge.id}/undo`);
    expect((await request('GET', '/v1/profiles/userId:lee')).body.traits).toEqual({
      a: 1,
      b: 'set-later',
    });
  });
});

describe('audience memberships after merges made or undone outside ingestion', () => {
  it('log the exit at the undo, and the entry at a merge on request, with their webhooks', async () => {
    const { request } = server;
    await request('PUT', '/v1/audiences/pro-plan', {
      name: 'Pro',
      rule: { trait: 'plan', op: 'equals', value: 'pro' },
    });
    await request('POST', '/v1/audiences/pro-plan/publish');
    const sub = await request('POST', '/v1/webhooks', {
      url: 'http://127.0.0.1:9/audiences',
      eventTypes: ['audience.entered', 'audience.exited'],
    });
    expect(sub.status).toBe(201);
    const log = async (userId: string) =>
      (await request('GET', `/v1/profiles/userId:${userId}/audiences`)).body;
    const kinds = async (profileId: string) =>
      (await request('GET', `/v1/change-events?profileId=${profileId}`)).body.data.map(
        (e: { type: string }) => e.type,
      );

    await request('POST', '/v1/events', {
      events: [{ type: 'identify', messageId: mid(), userId: 'cat', traits: { plan: 'free' } }],
    });
    await request('POST', '/v1/events', {
      events: [{ type: 'identify', messageId: mid(), anonymousId: 'c-1', traits: { plan: 'pro' } }],
    });
    await request('POST', '/v1/events', {
      events: [{ type: 'identify', messageId: mid(), anonymousId: 'c-1', userId: 'cat' }],
    });
    const cat = await log('cat');
    expect(cat.audiences).toContain('pro-plan');
    const merge = (await request('GET', '/v1/profiles/userId:cat/merges')).body.data[0];
    const undo = await request('POST', `/v1/profiles/userId:cat/merges/${merge.id}/undo`);
    expect(undo.status).toBe(200);
    const after = await log('cat');
    expect(after.audiences).not.toContain('pro-plan');
    expect(after.log.map((e: { kind: string }) => e.kind)).toEqual(['entered', 'exited']);
    expect(await kinds(merge.survivorId)).toEqual(['audience.entered', 'audience.exited']);

    // 001's merge on request: the survivor enters at once.
    const anon = (await request('GET', '/v1/profiles/anonymousId:c-1')).body.id;
    const merged = await request(
      'POST',
      `/v4/clients/merge/from/ids/${anon}/to/id/${merge.survivorId}`,
    );
    expect(merged.status).toBeLessThan(300);
    expect((await log('cat')).audiences).toContain('pro-plan');
    expect(await kinds(merge.survivorId)).toEqual([
      'audience.entered',
      'audience.exited',
      'audience.entered',
    ]);
  });
});

describe('restart', () => {
  it('keeps profiles, identifiers, events and merges across a server restart', async () => {
    const first = await startTestServer();
    await first.request('POST', '/v1/events', {
      events: [
        pageEvent({ anonymousId: 'r-anon' }),
        { type: 'identify', messageId: mid(), anonymousId: 'r-other', traits: { x: 1 } },
      ],
    });
    await first.request('POST', '/v1/events', {
      events: [
        {
          type: 'identify',
          messageId: mid(),
          anonymousId: 'r-anon',
          userId: 'rita',
          traits: { name: 'Rita' },
        },
        { type: 'identify', messageId: mid(), anonymousId: 'r-other', userId: 'rita' },
      ],
    });
    const before = (await first.request('GET', '/v1/profiles/userId:rita')).body;
    const beforeEvents = (await first.request('GET', '/v1/profiles/userId:rita/events')).body.data;
    await first.stop();

    const second = await startTestServer({ dir: first.dir });
    const key = await second.createKey(['read']);
    const after = await second.request('GET', '/v1/profiles/userId:rita', undefined, key);
    expect(after.body).toEqual(before);
    expect(
      (await second.request('GET', '/v1/profiles/userId:rita/events', undefined, key)).body.data,
    ).toEqual(beforeEvents);
    expect(
      (await second.request('GET', '/v1/profiles/userId:rita/merges', undefined, key)).body.data,
    ).toHaveLength(1);
    // The first server's admin key still works: credentials persist too.
    expect(
      (await second.request('GET', '/v1/profiles/anonymousId:r-other', undefined, first.adminKey))
        .body.id,
    ).toBe(before.id);
    await second.destroy();
  });
});
