import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MP_CLIENT,
  NT,
  type OptOutHarness,
  pageContext,
  startOptOutHarness,
} from '../helpers/opt-out-harness.js';
import { mid, pageEvent } from '../helpers/test-server.js';
import { waitFor } from '../helpers/webhook-receiver.js';

/**
 * Issue #6, continued: data sent under an anonymous id before anyone knew whose it was, then
 * identified as an opted-out user; a device shared with another known user; and erasure, which
 * is not opt-out.
 */

let h: OptOutHarness;
beforeAll(async () => {
  h = await startOptOutHarness();
});
afterAll(() => h.destroy());

describe('an anonymous profile identified later as an opted-out user', () => {
  it('is erased (and its ids suppressed) whichever dialect identifies it, with no webhook after', async () => {
    const user = 'later-user';
    expect((await h.optOut(user)).status).toBe(200);
    // Anonymous data first, in requests that cannot know whose it is.
    const nt = await h.post(`${NT}/profiles`, {
      events: [{ type: 'page', messageId: mid(), properties: pageContext() }],
    });
    expect(nt.status).toBe(200);
    const ntId = nt.body.data.profile.id as string;
    await h.post(
      '/v1/batch',
      { batch: [pageEvent({ anonymousId: 'later-seg' })] },
      h.segmentAuth(),
    );
    await h.post(
      `/Profiles/v4/${MP_CLIENT}/Profiles`,
      { AlternateIds: [{ Type: 'anonymousId', Value: 'later-mp' }], Traits: { name: 'Anon' } },
      h.pnauth(),
    );
    for (const ref of [ntId, 'anonymousId:later-seg', 'anonymousId:later-mp']) {
      expect((await h.server.request('GET', `/v1/profiles/${ref}`)).status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 700));
    const sent = h.receiver.received.length;

    // Then each dialect identifies its profile as the user.
    const identify = await h.post(`${NT}/profiles/${ntId}`, {
      events: [{ type: 'identify', messageId: mid(), userId: user, traits: {} }],
    });
    expect(identify.status).toBe(200);
    expect(identify.body.data.profile.id).not.toBe(ntId);
    expect(
      (
        await h.post(
          '/v1/identify',
          { anonymousId: 'later-seg', userId: user, messageId: mid() },
          h.segmentAuth(),
        )
      ).status,
    ).toBe(200);
    const mp = await h.post(
      `/Profiles/v4/${MP_CLIENT}/Profiles`,
      {
        AlternateIds: [
          { Type: 'anonymousId', Value: 'later-mp' },
          { Type: 'userId', Value: user },
        ],
        Traits: { name: 'Known' },
      },
      h.pnauth(),
    );
    expect(mp).toEqual({ status: 202, body: { ProfileId: null, Suppressed: true } });

    for (const ref of [ntId, 'anonymousId:later-seg', 'anonymousId:later-mp']) {
      expect((await h.server.request('GET', `/v1/profiles/${ref}`)).status, ref).toBe(404);
    }
    // The anonymous ids stay silenced.
    const again = await h.post(
      '/v1/events',
      { events: [pageEvent({ anonymousId: 'later-seg' }), pageEvent({ anonymousId: 'later-mp' })] },
      h.admin(),
    );
    expect(again.body).toMatchObject({ accepted: 0, suppressed: 2 });
    // The erased profiles' ids are left only in the deletion notices that tell receivers so.
    const events = h.server.storage.db.selectFrom('change_events').selectAll();
    const notices = await events.where('type', '=', 'profile.deleted').execute();
    expect(notices.flatMap((n) => JSON.parse(n.payload).profileIds)).toContain(ntId);
    const rows = await h.allRows();
    rows.change_events = JSON.stringify(
      await events.where('type', '!=', 'profile.deleted').execute(),
    );
    for (const [table, text] of Object.entries(rows)) {
      for (const id of [user, ntId, 'later-seg', 'later-mp']) {
        expect(text.includes(id), `${table} holds ${id}`).toBe(false);
      }
    }
    expect(JSON.stringify(notices)).not.toMatch(/later-user|later-seg|later-mp/);
    await new Promise((r) => setTimeout(r, 700));
    const after = h.receiver.received.slice(sent).map((r) => r.json?.type);
    expect(new Set(after)).toEqual(new Set(['profile.deleted']));
  });
});

describe('native erasure by user id', () => {
  it('erases the person but does not suppress them: it is not an opt-out', async () => {
    await h.post(
      '/v1/events',
      { events: [{ type: 'identify', userId: 'erased-user', messageId: mid(), traits: { a: 1 } }] },
      h.admin(),
    );
    const erasure = await h.server.request('POST', '/v1/privacy/erasures', {
      ref: 'userId:erased-user',
    });
    expect(erasure.status).toBe(202);
    await waitFor(async () => {
      const res = await h.server.request('GET', `/v1/privacy/erasures/${erasure.body.id}`);
      return res.body.status === 'done' ? res.body : undefined;
    });
    expect((await h.server.request('GET', '/v1/profiles/userId:erased-user')).status).toBe(404);
    // As documented: new data may arrive again (the Profile Command API refuses it for good).
    const back = await h.post(
      '/v1/events',
      { events: [{ type: 'track', event: 'x', userId: 'erased-user', messageId: mid() }] },
      h.admin(),
    );
    expect(back.body).toMatchObject({ accepted: 1, suppressed: 0 });
  });
});

describe('a device shared with another known user', () => {
  it('stays with that user when the opted-out user is identified on it', async () => {
    await h.post(
      '/v1/events',
      {
        events: [
          { type: 'identify', userId: 'sharer', anonymousId: 'shared-device', messageId: mid() },
        ],
      },
      h.admin(),
    );
    expect((await h.optOut('leaver')).status).toBe(200);
    const res = await h.post(
      '/v1/events',
      {
        events: [
          { type: 'identify', userId: 'leaver', anonymousId: 'shared-device', messageId: mid() },
        ],
      },
      h.admin(),
    );
    expect(res.body).toMatchObject({ accepted: 0, suppressed: 1 });
    expect((await h.server.request('GET', '/v1/profiles/userId:sharer')).status).toBe(200);
    // The device is not silenced for its owner.
    const later = await h.post(
      '/v1/events',
      { events: [pageEvent({ anonymousId: 'shared-device' })] },
      h.admin(),
    );
    expect(later.body).toMatchObject({ accepted: 1, suppressed: 0 });
  });
});
