import { expect } from 'vitest';
import { MP_CLIENT, NT, type OptOutHarness, pageContext } from './opt-out-harness.js';
import { mid, pageEvent } from './test-server.js';

/**
 * Sends new data for `user` through every ingesting dialect. `device` is an anonymous id that
 * each request identifies as the user, with data sent under it first; `customId` and `oldDevice`
 * are identifiers the user held before opting out (the 001 API carries no userId at all).
 */
export async function sendEverywhere(
  h: OptOutHarness,
  user: string,
  tag: string,
  customId: string,
  oldDevice: string,
) {
  const device = (dialect: string) => `${tag}-${dialect}-device`;
  const statuses: Record<string, number> = {};

  // Native: batch events, and events addressed to the user.
  const native = await h.post(
    '/v1/events',
    {
      events: [
        pageEvent({ anonymousId: device('native') }),
        { type: 'track', event: 'Back', anonymousId: device('native'), messageId: mid() },
        { type: 'identify', anonymousId: device('native'), userId: user, messageId: mid() },
        { type: 'track', event: 'Again', userId: user, messageId: mid() },
      ],
    },
    h.admin(),
  );
  statuses.native = native.status;
  expect(native.body).toMatchObject({ accepted: 0 });
  const addressed = await h.post(
    `/v1/profiles/userId:${user}/events`,
    { events: [{ type: 'identify', messageId: mid(), traits: { back: true } }] },
    h.admin(),
  );
  statuses.nativeAddressed = addressed.status;

  // Segment: batch, identify and track.
  statuses.segmentBatch = (
    await h.post(
      '/v1/batch',
      {
        batch: [
          { type: 'page', anonymousId: device('seg'), properties: { path: '/' }, messageId: mid() },
          { type: 'identify', anonymousId: device('seg'), userId: user, messageId: mid() },
          { type: 'track', userId: user, event: 'Bought', messageId: mid() },
        ],
      },
      h.segmentAuth(),
    )
  ).status;
  statuses.segmentIdentify = (
    await h.post(
      '/v1/identify',
      { userId: user, traits: { plan: 'pro' }, messageId: mid() },
      h.segmentAuth(),
    )
  ).status;
  statuses.segmentTrack = (
    await h.post('/v1/track', { userId: user, event: 'Viewed', messageId: mid() }, h.segmentAuth())
  ).status;

  // Experience API v2: a new profile whose events identify the user; the same for a profile the
  // browser created before it knew who it was; and the batch.
  const ntPage = () => ({
    type: 'page',
    messageId: mid(),
    channel: 'web',
    timestamp: new Date().toISOString(),
    properties: { path: '/', url: 'https://shop.example/', referrer: '', search: '', query: {} },
    context: { library: { name: 'test', version: '1' }, locale: 'en-US', page: pageContext() },
  });
  const ntIdentify = () => ({
    type: 'identify',
    messageId: mid(),
    channel: 'web',
    timestamp: new Date().toISOString(),
    userId: user,
    traits: { plan: 'x' },
    context: { library: { name: 'test', version: '1' }, locale: 'en-US', page: pageContext() },
  });
  const ntCreate = await h.post(`${NT}/profiles`, { events: [ntPage(), ntIdentify()] });
  statuses.ntCreate = ntCreate.status;
  // A blank profile the SDK can carry on with; its id names nothing stored.
  expect(ntCreate.body.data.experiences).toEqual([]);
  expect(
    (await h.server.request('GET', `/v1/profiles/${ntCreate.body.data.profile.id}`)).status,
  ).toBe(404);
  statuses.ntBatch = (
    await h.post(`${NT}/events`, {
      events: [
        { ...ntPage(), anonymousId: device('ntb') },
        { ...ntIdentify(), anonymousId: device('ntb') },
      ],
    })
  ).status;
  statuses.ntImport = (
    await h.post(`${NT}/import/events`, {
      events: [
        { ...ntPage(), anonymousId: device('nti') },
        { ...ntIdentify(), anonymousId: device('nti') },
      ],
    })
  ).status;

  // 001: no userId on this wire; the customId and the device the user held are suppressed.
  const pmCreate = await h.post(
    '/v4/clients',
    { customId, firstName: 'Back', tags: ['vip'] },
    h.admin(),
  );
  statuses.pmCreate = pmCreate.status;
  expect(pmCreate.body).toEqual({ clientId: null, accepted: 0, duplicates: 0, suppressed: 1 });
  statuses.pmByCustomId = (
    await h.post(`/v4/clients/by-customid/${customId}`, { lastName: 'Again' }, h.admin())
  ).status;
  statuses.pmEvent = (
    await h.post(
      '/v4/events/added-to-cart',
      { label: 'x', client: { customId }, params: { sku: 'A' } },
      h.admin(),
    )
  ).status;
  statuses.pmEventUuid = (
    await h.post(
      '/v4/events/custom',
      { action: 'x.y', label: 'x', client: { uuid: oldDevice } },
      h.admin(),
    )
  ).status;
  statuses.pmTransaction = (
    await h.post(
      '/v4/transactions',
      {
        client: { customId },
        orderId: `o-${tag}`,
        products: [{ sku: 'A' }],
        value: { amount: 10, currency: 'EUR' },
      },
      h.admin(),
    )
  ).status;

  // 004: a profile upsert named by the userId, and one named by an alternate id with the userId.
  const mpUpsert = await h.post(
    `/Profiles/v4/${MP_CLIENT}/Profiles`,
    { AlternateIds: [{ Type: 'userId', Value: user }], Traits: { name: 'Back' }, Tags: ['t'] },
    h.pnauth(),
  );
  statuses.mpUpsert = mpUpsert.status;
  expect(mpUpsert.body).toEqual({ ProfileId: null, Suppressed: true });
  statuses.mpUpsertAlt = (
    await h.post(
      `/Profiles/v4/${MP_CLIENT}/Profiles`,
      {
        AlternateIds: [
          { Type: 'CRM', Value: `crm-${tag}` },
          { Type: 'userId', Value: user },
        ],
        Traits: { name: 'Back' },
        CustomFields: { Color: 'red' },
        Groups: ['g'],
      },
      h.pnauth(),
    )
  ).status;

  // A bulk import job.
  const lines = [
    pageEvent({ anonymousId: device('import') }),
    { type: 'identify', anonymousId: device('import'), userId: user, messageId: mid() },
    { type: 'track', event: 'Imported', userId: user, messageId: mid() },
  ];
  const imported = await fetch(`${h.server.url}/v1/imports`, {
    method: 'POST',
    headers: { ...h.admin(), 'content-type': 'application/x-ndjson' },
    body: lines.map((l) => JSON.stringify(l)).join('\n'),
  });
  statuses.import = imported.status;
  const importStatus = await h.settleImport(
    ((await imported.json()) as { statusUrl: string }).statusUrl,
  );
  expect(importStatus).toMatchObject({ status: 'done', progress: { applied: 0 } });
  await h.settleJobs();
  return { statuses, devices: ['native', 'seg', 'ntb', 'nti', 'import'].map(device) };
}
