import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANGE_EVENT_TYPES } from '../../src/modules/webhooks/change-types.js';
import {
  json,
  mid,
  pageEvent,
  startTestServer,
  type TestServer,
  tableCounts,
} from '../helpers/test-server.js';
import { startReceiver, type WebhookReceiver, waitFor } from '../helpers/webhook-receiver.js';

/**
 * Issue #6: once a user opted out, new data for them through every ingesting dialect is
 * acknowledged in that dialect's own way and dropped: no row about them in any table, and no
 * webhook after the opt-out's own `profile.opted_out`. The data also arrives under anonymous ids
 * identified as the user in the same request (the only way a dialect can tell it is theirs).
 */

let server: TestServer;
let receiver: WebhookReceiver;
let privacyToken: string;
let writeKey: string;
const SITE = 'site-dialects';
const MP_CLIENT = 'OptOutDialects';
const MP_USER = 'mp-optout-api';
const MP_KEY = 'mp-optout-key-0123456789';
const NT = '/v2/organizations/default/environments/main';
let issuedAt = Date.now() - 10 * 60_000;

beforeAll(async () => {
  server = await startTestServer({
    env: { TESSERA_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true', TESSERA_WEBHOOK_RETRY_BASE_MS: '50' },
  });
  receiver = await startReceiver();
  await server.request('PUT', `/v1/surface-keys/profile-command/${SITE}`);
  await server.request('PUT', `/v1/surface-keys/mypreferences/${MP_CLIENT}`);
  const client = (
    await server.request('POST', '/v1/credentials', {
      kind: 'oauth_client',
      name: 'privacy',
      scopes: ['privacy'],
    })
  ).body;
  privacyToken = (
    await json(
      await fetch(
        `${server.url}/profile-command/v1/oauth2/token?grant_type=client_credentials&client_id=${client.publicId}&client_secret=${client.secret}`,
        { method: 'POST' },
      ),
    )
  ).access_token;
  writeKey = (
    await server.request('POST', '/v1/credentials', {
      kind: 'write_key',
      name: 'w',
      scopes: ['write'],
    })
  ).body.secret;
  const hmacUser = await server.request('POST', '/v1/credentials', {
    kind: 'hmac_user',
    name: 'mp',
    scopes: ['read', 'write'],
    userId: MP_USER,
    privateKey: MP_KEY,
  });
  expect(hmacUser.status).toBe(201);
  const sub = await server.request('POST', '/v1/webhooks', {
    url: `${receiver.url}/all`,
    eventTypes: [...CHANGE_EVENT_TYPES],
  });
  expect(sub.status).toBe(201);
});
afterAll(async () => {
  await server.destroy();
  await receiver.close();
});

function optOut(userId: string) {
  return fetch(`${server.url}/profile-command/v1/${SITE}/optOut/${encodeURIComponent(userId)}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${privacyToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'optOut', enableOptOut: true }),
  });
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON answers
  return { status: res.status, body: parsed as any };
}

const admin = () => ({ authorization: `Bearer ${server.adminKey}` });
const segmentAuth = () => ({
  authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
});

/** A fresh PNAUTHINFO3 signature (as in mypreferences-auth.test.ts). */
function pnauth(): Record<string, string> {
  issuedAt += 1_000;
  const issued = new Date(issuedAt).toISOString().replace(/\.\d+Z$/, 'Z');
  const signature = createHmac('sha256', MP_KEY)
    .update(`${MP_CLIENT}:${MP_USER}:${issued}`)
    .digest('base64');
  return {
    authorization: `PNAUTHINFO3-HMAC-SHA256 Credential=${MP_USER}/${issued} Signature=${signature}`,
  };
}

/** Every table's rows, as text, for a scan of what is stored. */
async function allRows(): Promise<Record<string, string>> {
  const tables = await server.storage.db.introspection.getTables();
  const out: Record<string, string> = {};
  for (const t of tables) {
    if (t.name.startsWith('kysely_')) continue;
    // biome-ignore lint/suspicious/noExplicitAny: every table, read as it is
    const rows = await (server.storage.db as any).selectFrom(t.name).selectAll().execute();
    out[t.name] = JSON.stringify(rows);
  }
  return out;
}

async function countOf(table: 'change_events' | 'webhook_deliveries' | 'jobs') {
  return Number(
    (
      await server.storage.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );
}

async function settleImport(statusUrl: string) {
  return waitFor(async () => {
    const res = await server.request('GET', statusUrl);
    return res.body.status === 'done' || res.body.status === 'failed' ? res.body : undefined;
  }, 20_000);
}

/** Waits until the job queue is idle (imports of both kinds have run). */
async function settleJobs() {
  await waitFor(async () => {
    const busy = await server.storage.db
      .selectFrom('jobs')
      .select('id')
      .where('status', 'in', ['queued', 'running'])
      .execute();
    return busy.length === 0;
  }, 20_000);
}

/**
 * Sends new data for `user` through every ingesting dialect. `device` is an anonymous id that
 * each request identifies as the user, with data sent under it first; `customId` and `oldDevice`
 * are identifiers the user held before opting out (the 001 API carries no userId at all).
 */
async function sendEverywhere(user: string, tag: string, customId: string, oldDevice: string) {
  const device = (dialect: string) => `${tag}-${dialect}-device`;
  const statuses: Record<string, number> = {};

  // Native: batch events, and events addressed to the user.
  const native = await post(
    '/v1/events',
    {
      events: [
        pageEvent({ anonymousId: device('native') }),
        { type: 'track', event: 'Back', anonymousId: device('native'), messageId: mid() },
        { type: 'identify', anonymousId: device('native'), userId: user, messageId: mid() },
        { type: 'track', event: 'Again', userId: user, messageId: mid() },
      ],
    },
    admin(),
  );
  statuses.native = native.status;
  expect(native.body).toMatchObject({ accepted: 0 });
  const addressed = await post(
    `/v1/profiles/userId:${user}/events`,
    { events: [{ type: 'identify', messageId: mid(), traits: { back: true } }] },
    admin(),
  );
  statuses.nativeAddressed = addressed.status;

  // Segment: batch, identify and track.
  statuses.segmentBatch = (
    await post(
      '/v1/batch',
      {
        batch: [
          { type: 'page', anonymousId: device('seg'), properties: { path: '/' }, messageId: mid() },
          { type: 'identify', anonymousId: device('seg'), userId: user, messageId: mid() },
          { type: 'track', userId: user, event: 'Bought', messageId: mid() },
        ],
      },
      segmentAuth(),
    )
  ).status;
  statuses.segmentIdentify = (
    await post(
      '/v1/identify',
      { userId: user, traits: { plan: 'pro' }, messageId: mid() },
      segmentAuth(),
    )
  ).status;
  statuses.segmentTrack = (
    await post('/v1/track', { userId: user, event: 'Viewed', messageId: mid() }, segmentAuth())
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
  const ntCreate = await post(`${NT}/profiles`, { events: [ntPage(), ntIdentify()] });
  statuses.ntCreate = ntCreate.status;
  // A blank profile the SDK can carry on with; its id names nothing stored.
  expect(ntCreate.body.data.experiences).toEqual([]);
  expect(
    (await server.request('GET', `/v1/profiles/${ntCreate.body.data.profile.id}`)).status,
  ).toBe(404);
  statuses.ntBatch = (
    await post(`${NT}/events`, {
      events: [
        { ...ntPage(), anonymousId: device('ntb') },
        { ...ntIdentify(), anonymousId: device('ntb') },
      ],
    })
  ).status;
  statuses.ntImport = (
    await post(`${NT}/import/events`, {
      events: [
        { ...ntPage(), anonymousId: device('nti') },
        { ...ntIdentify(), anonymousId: device('nti') },
      ],
    })
  ).status;

  // 001: no userId on this wire; the customId and the device the user held are suppressed.
  const pmCreate = await post(
    '/v4/clients',
    { customId, firstName: 'Back', tags: ['vip'] },
    admin(),
  );
  statuses.pmCreate = pmCreate.status;
  expect(pmCreate.body).toEqual({ clientId: null, accepted: 0, duplicates: 0, suppressed: 1 });
  statuses.pmByCustomId = (
    await post(`/v4/clients/by-customid/${customId}`, { lastName: 'Again' }, admin())
  ).status;
  statuses.pmEvent = (
    await post(
      '/v4/events/added-to-cart',
      { label: 'x', client: { customId }, params: { sku: 'A' } },
      admin(),
    )
  ).status;
  statuses.pmEventUuid = (
    await post(
      '/v4/events/custom',
      { action: 'x.y', label: 'x', client: { uuid: oldDevice } },
      admin(),
    )
  ).status;
  statuses.pmTransaction = (
    await post(
      '/v4/transactions',
      {
        client: { customId },
        orderId: `o-${tag}`,
        products: [{ sku: 'A' }],
        value: { amount: 10, currency: 'EUR' },
      },
      admin(),
    )
  ).status;

  // 004: a profile upsert named by the userId, and one named by an alternate id with the userId.
  const mpUpsert = await post(
    `/Profiles/v4/${MP_CLIENT}/Profiles`,
    { AlternateIds: [{ Type: 'userId', Value: user }], Traits: { name: 'Back' }, Tags: ['t'] },
    pnauth(),
  );
  statuses.mpUpsert = mpUpsert.status;
  expect(mpUpsert.body).toEqual({ ProfileId: null, Suppressed: true });
  statuses.mpUpsertAlt = (
    await post(
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
      pnauth(),
    )
  ).status;

  // A bulk import job.
  const lines = [
    pageEvent({ anonymousId: device('import') }),
    { type: 'identify', anonymousId: device('import'), userId: user, messageId: mid() },
    { type: 'track', event: 'Imported', userId: user, messageId: mid() },
  ];
  const imported = await fetch(`${server.url}/v1/imports`, {
    method: 'POST',
    headers: { ...admin(), 'content-type': 'application/x-ndjson' },
    body: lines.map((l) => JSON.stringify(l)).join('\n'),
  });
  statuses.import = imported.status;
  const importStatus = await settleImport(
    ((await imported.json()) as { statusUrl: string }).statusUrl,
  );
  expect(importStatus).toMatchObject({ status: 'done', progress: { applied: 0 } });
  await settleJobs();
  return { statuses, devices: ['native', 'seg', 'ntb', 'nti', 'import'].map(device) };
}

function pageContext() {
  return { path: '/', url: 'https://shop.example/', referrer: '', search: '', query: {} };
}

describe('opt-out, then new data through every dialect', () => {
  it('acknowledges everything, stores nothing about the user and sends no webhook after the opt-out', async () => {
    const user = 'dialect-user';
    const customId = 'crm-dialect-user';
    const oldDevice = 'dialect-old-device';
    // The user's history: a device, a customId, a tag, an email.
    await post(
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
      admin(),
    );
    const profile = (await server.request('GET', `/v1/profiles/userId:${user}`)).body;
    expect(profile.identifiers).toEqual(
      expect.arrayContaining([
        { type: 'customId', value: customId },
        { type: 'anonymousId', value: oldDevice },
      ]),
    );
    expect(
      (await post(`/v4/clients/${profile.id}/tags`, { tags: ['old'] }, admin())).status,
    ).toBeLessThan(500);

    expect((await optOut(user)).status).toBe(200);
    await waitFor(() => receiver.received.find((r) => r.json?.type === 'profile.opted_out'));
    await new Promise((r) => setTimeout(r, 300));
    const sent = receiver.received.length;
    const counts = await tableCounts(server.storage);
    const changeEvents = await countOf('change_events');
    const deliveries = await countOf('webhook_deliveries');

    const { statuses, devices } = await sendEverywhere(user, 'a', customId, oldDevice);

    expect(await tableCounts(server.storage)).toMatchObject({
      profiles: counts.profiles,
      profile_identifiers: counts.profile_identifiers,
      events: counts.events,
      merges: counts.merges,
    });
    expect(await countOf('change_events')).toBe(changeEvents);
    expect(await countOf('webhook_deliveries')).toBe(deliveries);
    const rows = await allRows();
    for (const [table, text] of Object.entries(rows)) {
      for (const id of [user, customId, oldDevice, `crm-a`, 'dialect@example.com', ...devices]) {
        expect(text.includes(id), `${table} holds ${id}`).toBe(false);
      }
    }
    await new Promise((r) => setTimeout(r, 700));
    expect(receiver.received.slice(sent).map((r) => r.json?.type)).toEqual([]);
    const refused = Object.entries(statuses).filter(([, status]) => status < 200 || status > 299);
    expect(refused).toEqual([]);
  });
});

describe('an anonymous profile identified later as an opted-out user', () => {
  it('is erased (and its ids suppressed) whichever dialect identifies it, with no webhook after', async () => {
    const user = 'later-user';
    expect((await optOut(user)).status).toBe(200);
    // Anonymous data first, in requests that cannot know whose it is.
    const nt = await post(`${NT}/profiles`, {
      events: [{ type: 'page', messageId: mid(), properties: pageContext() }],
    });
    expect(nt.status).toBe(200);
    const ntId = nt.body.data.profile.id as string;
    await post('/v1/batch', { batch: [pageEvent({ anonymousId: 'later-seg' })] }, segmentAuth());
    await post(
      `/Profiles/v4/${MP_CLIENT}/Profiles`,
      { AlternateIds: [{ Type: 'anonymousId', Value: 'later-mp' }], Traits: { name: 'Anon' } },
      pnauth(),
    );
    for (const ref of [ntId, 'anonymousId:later-seg', 'anonymousId:later-mp']) {
      expect((await server.request('GET', `/v1/profiles/${ref}`)).status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 700));
    const sent = receiver.received.length;

    // Then each dialect identifies its profile as the user.
    const identify = await post(`${NT}/profiles/${ntId}`, {
      events: [{ type: 'identify', messageId: mid(), userId: user, traits: {} }],
    });
    expect(identify.status).toBe(200);
    expect(identify.body.data.profile.id).not.toBe(ntId);
    expect(
      (
        await post(
          '/v1/identify',
          { anonymousId: 'later-seg', userId: user, messageId: mid() },
          segmentAuth(),
        )
      ).status,
    ).toBe(200);
    const mp = await post(
      `/Profiles/v4/${MP_CLIENT}/Profiles`,
      {
        AlternateIds: [
          { Type: 'anonymousId', Value: 'later-mp' },
          { Type: 'userId', Value: user },
        ],
        Traits: { name: 'Known' },
      },
      pnauth(),
    );
    expect(mp).toEqual({ status: 202, body: { ProfileId: null, Suppressed: true } });

    for (const ref of [ntId, 'anonymousId:later-seg', 'anonymousId:later-mp']) {
      expect((await server.request('GET', `/v1/profiles/${ref}`)).status, ref).toBe(404);
    }
    // The anonymous ids stay silenced.
    const again = await post(
      '/v1/events',
      { events: [pageEvent({ anonymousId: 'later-seg' }), pageEvent({ anonymousId: 'later-mp' })] },
      admin(),
    );
    expect(again.body).toMatchObject({ accepted: 0, suppressed: 2 });
    const rows = await allRows();
    for (const [table, text] of Object.entries(rows)) {
      for (const id of [user, ntId, 'later-seg', 'later-mp']) {
        expect(text.includes(id), `${table} holds ${id}`).toBe(false);
      }
    }
    await new Promise((r) => setTimeout(r, 700));
    expect(receiver.received.slice(sent).map((r) => r.json?.type)).toEqual([]);
  });
});

describe('native erasure by user id', () => {
  it('erases the person but does not suppress them: it is not an opt-out', async () => {
    await post(
      '/v1/events',
      { events: [{ type: 'identify', userId: 'erased-user', messageId: mid(), traits: { a: 1 } }] },
      admin(),
    );
    const erasure = await server.request('POST', '/v1/privacy/erasures', {
      ref: 'userId:erased-user',
    });
    expect(erasure.status).toBe(202);
    await waitFor(async () => {
      const res = await server.request('GET', `/v1/privacy/erasures/${erasure.body.id}`);
      return res.body.status === 'done' ? res.body : undefined;
    });
    expect((await server.request('GET', '/v1/profiles/userId:erased-user')).status).toBe(404);
    // As documented: new data may arrive again (the Profile Command API refuses it for good).
    const back = await post(
      '/v1/events',
      { events: [{ type: 'track', event: 'x', userId: 'erased-user', messageId: mid() }] },
      admin(),
    );
    expect(back.body).toMatchObject({ accepted: 1, suppressed: 0 });
  });
});

describe('a device shared with another known user', () => {
  it('stays with that user when the opted-out user is identified on it', async () => {
    await post(
      '/v1/events',
      {
        events: [
          { type: 'identify', userId: 'sharer', anonymousId: 'shared-device', messageId: mid() },
        ],
      },
      admin(),
    );
    expect((await optOut('leaver')).status).toBe(200);
    const res = await post(
      '/v1/events',
      {
        events: [
          { type: 'identify', userId: 'leaver', anonymousId: 'shared-device', messageId: mid() },
        ],
      },
      admin(),
    );
    expect(res.body).toMatchObject({ accepted: 0, suppressed: 1 });
    expect((await server.request('GET', '/v1/profiles/userId:sharer')).status).toBe(200);
    // The device is not silenced for its owner.
    const later = await post(
      '/v1/events',
      { events: [pageEvent({ anonymousId: 'shared-device' })] },
      admin(),
    );
    expect(later.body).toMatchObject({ accepted: 1, suppressed: 0 });
  });
});
