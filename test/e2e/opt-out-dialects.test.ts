import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OptOutHarness, startOptOutHarness } from '../helpers/opt-out-harness.js';
import { sendEverywhere } from '../helpers/send-everywhere.js';
import { mid, tableCounts } from '../helpers/test-server.js';
import { waitFor } from '../helpers/webhook-receiver.js';

/**
 * Issue #6: once a user opted out, new data for them through every ingesting dialect is
 * acknowledged in that dialect's own way and dropped: no row about them in any table, and no
 * webhook after the opt-out's own `profile.opted_out`. The data also arrives under anonymous ids
 * identified as the user in the same request (the only way a dialect can tell it is theirs).
 */

let h: OptOutHarness;
beforeAll(async () => {
  h = await startOptOutHarness();
});
afterAll(() => h.destroy());

describe('opt-out, then new data through every dialect', () => {
  it('acknowledges everything, stores nothing about the user and sends no webhook after the opt-out', async () => {
    const user = 'dialect-user';
    const customId = 'crm-dialect-user';
    const oldDevice = 'dialect-old-device';
    // The user's history: a device, a customId, a tag, an email.
    await h.post(
      `/v1/profiles/customId:${customId}/events`,
      {
        events: [
          {
            type: 'identify',
            messageId: mid(),
            userId: user,
            anonymousId: oldDevice,
            traits: { email: 'dialect@example.com' },
          },
        ],
      },
      h.admin(),
    );
    const profile = (await h.server.request('GET', `/v1/profiles/userId:${user}`)).body;
    expect(profile.identifiers).toEqual(
      expect.arrayContaining([
        { type: 'customId', value: customId },
        { type: 'anonymousId', value: oldDevice },
      ]),
    );
    const tagged = await h.post(`/v4/clients/${profile.id}`, { tags: ['old'] }, h.admin());
    expect(tagged.status).toBe(200);
    expect(tagged.body.tags).toEqual(['old']);

    expect((await h.optOut(user)).status).toBe(200);
    await waitFor(() => h.receiver.received.find((r) => r.json?.type === 'profile.opted_out'));
    await new Promise((r) => setTimeout(r, 300));
    const sent = h.receiver.received.length;
    const counts = await tableCounts(h.server.storage);
    const changeEvents = await h.countOf('change_events');
    const deliveries = await h.countOf('webhook_deliveries');

    const { statuses, devices } = await sendEverywhere(h, user, 'a', customId, oldDevice);

    expect(await tableCounts(h.server.storage)).toMatchObject({
      profiles: counts.profiles,
      profile_identifiers: counts.profile_identifiers,
      events: counts.events,
      merges: counts.merges,
    });
    expect(await h.countOf('change_events')).toBe(changeEvents);
    expect(await h.countOf('webhook_deliveries')).toBe(deliveries);
    const rows = await h.allRows();
    for (const [table, text] of Object.entries(rows)) {
      for (const id of [user, customId, oldDevice, `crm-a`, 'dialect@example.com', ...devices]) {
        expect(text.includes(id), `${table} holds ${id}`).toBe(false);
      }
      // The erased profile's id is left only in the opt-out's own notice (`erasedProfileIds`).
      if (table !== 'change_events') {
        expect(text.includes(profile.id), `${table} holds the profile id`).toBe(false);
      }
    }
    await new Promise((r) => setTimeout(r, 700));
    expect(h.receiver.received.slice(sent).map((r) => r.json?.type)).toEqual([]);
    const refused = Object.entries(statuses).filter(([, status]) => status < 200 || status > 299);
    expect(refused).toEqual([]);
  });
});
