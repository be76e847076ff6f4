import { NinetailedAPIClient } from '@ninetailed/experience.js-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optOutUser } from '../helpers/opt-out.js';
import { startTestServer, type TestServer, tableCounts } from '../helpers/test-server.js';

let server: TestServer;
let client: NinetailedAPIClient;
beforeAll(async () => {
  server = await startTestServer();
  // clientId is the organization slug, environment the environment slug.
  client = new NinetailedAPIClient({ clientId: 'default', environment: 'main', url: server.url });
});
afterAll(() => server.destroy());

type SdkEvent = Parameters<NinetailedAPIClient['createProfile']>[0]['events'][number];
type Properties = NonNullable<Parameters<NinetailedAPIClient['createTrackEvent']>[2]>;

/** A page event as the SDKs build it (the Node SDK has no page builder of its own). */
function pageEvent(path: string): SdkEvent {
  const now = new Date().toISOString();
  const url = `https://shop.example${path}`;
  const page = { path, url, query: {}, referrer: '', search: '' };
  return {
    channel: 'web',
    context: { library: { name: 'test', version: '7.23.0' }, page, locale: 'en-US' },
    messageId: crypto.randomUUID(),
    timestamp: now,
    sentAt: now,
    type: 'page',
    properties: { ...page, title: 'Page' },
  } as SdkEvent;
}

/** The Node SDK's own events carry an anonymousId; single-profile calls must not key on it. */
function trackEvent(event: string, properties: Properties = {}) {
  return client.createTrackEvent('ignored-anonymous-id', event, properties);
}

describe('the Node SDK against the Experience API', () => {
  it('creates a profile whose id, stableId and session the SDK accepts', async () => {
    const answer = await client.createProfile({ events: [pageEvent('/pricing')] });
    expect(answer.profile.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.profile.stableId).toBe(answer.profile.id);
    expect(answer.profile.random).toBeGreaterThanOrEqual(0);
    expect(answer.profile.random).toBeLessThan(1);
    expect(answer.profile.session).toMatchObject({
      count: 1,
      isReturningVisitor: false,
      landingPage: { path: '/pricing', url: 'https://shop.example/pricing' },
    });
    expect(answer.profile.session.id).not.toBe('');
    expect(answer).toMatchObject({ experiences: [], changes: [] });
    // `random` is derived from the id: the same on every read.
    const again = await client.getProfile(answer.profile.id);
    expect(again.profile.random).toBe(answer.profile.random);
  });

  it("creates a new profile on every create call, whatever the events' anonymousId", async () => {
    const first = await client.createProfile({ events: [trackEvent('Opened')] });
    const second = await client.createProfile({ events: [trackEvent('Opened')] });
    expect(first.profile.id).not.toBe(second.profile.id);
  });

  it('updates, identifies and tracks on one profile by its id', async () => {
    const { profile } = await client.createProfile({ events: [pageEvent('/')] });
    const identified = await client.updateProfile({
      profileId: profile.id,
      events: [client.createIdentifyEvent('node-user-1', { plan: 'pro', name: 'Ada' })],
    });
    expect(identified.profile.id).toBe(profile.id);
    expect(identified.profile.traits).toEqual({ plan: 'pro', name: 'Ada' });

    // userId "" is how the SDKs set traits without naming a user.
    const traitsOnly = await client.updateProfile({
      profileId: profile.id,
      events: [client.createIdentifyEvent('', { plan: 'enterprise' })],
    });
    expect(traitsOnly.profile.traits).toEqual({ plan: 'enterprise', name: 'Ada' });

    const tracked = await client.updateProfile({
      profileId: profile.id,
      events: [trackEvent('Checkout Started', { total: 12 })],
    });
    expect(tracked.profile.id).toBe(profile.id);
    expect(tracked.profile.session.count).toBe(1);

    const native = await server.request('GET', `/v1/profiles/${profile.id}`);
    expect(native.body.identifiers).toEqual(
      expect.arrayContaining([{ type: 'userId', value: 'node-user-1' }]),
    );
    // The events' own anonymousId was not claimed: the path is the only key.
    expect(native.body.identifiers).not.toEqual(
      expect.arrayContaining([{ type: 'anonymousId', value: 'ignored-anonymous-id' }]),
    );
  });

  it('answers a preflight like an update and stores nothing', async () => {
    const { profile } = await client.createProfile({ events: [pageEvent('/')] });
    const before = await tableCounts(server.storage);
    const preflight = await client.updateProfile(
      {
        profileId: profile.id,
        events: [client.createIdentifyEvent('', { preview: true })],
      },
      { preflight: true },
    );
    expect(preflight.profile.traits).toEqual({ preview: true });
    expect(await tableCounts(server.storage)).toEqual(before);
    expect((await client.getProfile(profile.id)).profile.traits).toEqual({});

    const created = await client.createProfile(
      { events: [pageEvent('/ssr')] },
      { preflight: true },
    );
    expect(created.profile.session.landingPage.path).toBe('/ssr');
    expect(await tableCounts(server.storage)).toEqual(before);
    await expect(client.getProfile(created.profile.id)).rejects.toThrow(/404/);
  });

  it('gets a profile, and rejects an unknown id with a 404', async () => {
    const { profile } = await client.createProfile({
      events: [client.createIdentifyEvent('', { color: 'blue' })],
    });
    const got = await client.getProfile(profile.id, { locale: 'de' });
    expect(got.profile).toMatchObject({ id: profile.id, traits: { color: 'blue' } });
    await expect(client.getProfile('01900000-0000-7000-8000-000000000000')).rejects.toThrow(
      /status: "\[404\]/,
    );
  });

  it('upserts one profile per anonymousId through the batch endpoint', async () => {
    const identified = await client.sendIdentifyEvent('batch-user-1', { plan: 'pro' });
    expect(identified.traits).toEqual({ plan: 'pro' });
    const tracked = await client.sendTrackEvent('batch-user-1', 'Upgraded', { to: 'pro' });
    expect(tracked.id).toBe(identified.id);

    // The anonymousId may be the profile id the browser SDK learnt: it names that profile.
    const { profile } = await client.createProfile({ events: [pageEvent('/')] });
    const byId = await client.sendIdentifyEvent(
      'batch-user-2',
      { from: 'server' },
      {
        anonymousId: profile.id,
      },
    );
    expect(byId.id).toBe(profile.id);
    expect(byId.traits).toEqual({ from: 'server' });
    // A track for that user (anonymousId = userId, no userId field) reaches the same profile.
    const purchase = await client.sendTrackEvent('batch-user-2', 'Purchased', { total: 5 });
    expect(purchase.id).toBe(profile.id);

    const many = await client.upsertManyProfiles({
      events: [
        { ...trackEvent('A'), anonymousId: 'anon-a' },
        { ...trackEvent('B'), anonymousId: 'anon-b' },
        { ...client.createIdentifyEvent('', { n: 1 }), anonymousId: 'anon-a' },
      ],
    });
    expect(many).toHaveLength(2);
    expect(many?.[0]?.traits).toEqual({ n: 1 });
    expect(many?.[0]?.id).not.toBe(many?.[1]?.id);

    // A profile the core refuses (a second user for an identified profile) is an error the SDK
    // reports, as the single update's is, not a 200 without the profile.
    const before = await tableCounts(server.storage);
    await expect(
      client.sendIdentifyEvent('batch-user-3', {}, { anonymousId: identified.id }),
    ).rejects.toThrow(/\[400\]/);
    const raw = await server.request(
      'POST',
      '/v2/organizations/default/environments/main/events',
      {
        events: [
          { ...client.createIdentifyEvent('batch-user-3', {}), anonymousId: identified.id },
          { ...trackEvent('C'), anonymousId: 'anon-c' },
        ],
      },
      null,
    );
    expect(raw.status).toBe(400);
    expect(raw.body.error.code).toBe('ERR_INVALID_DATA');
    expect(raw.body.message).toMatch(
      /^1 of 2 profiles refused \(.*different user.*\); the others were applied\.$/,
    );
    expect((await tableCounts(server.storage)).profiles).toBe(before.profiles + 1);
  });

  it("keeps the SDK's event times, so a backfilled identify never overwrites newer traits", async () => {
    // The SDK sets sentAt to the event's own time: a skew correction would date both at receipt.
    await client.sendIdentifyEvent('times-user', { plan: 'enterprise' });
    const weekAgo = Date.now() - 7 * 86_400_000;
    const old = client.createIdentifyEvent('times-user', { plan: 'trial' }, { timestamp: weekAgo });
    const [profile] = (await client.upsertManyProfiles({ events: [old] })) ?? [];
    expect(profile?.traits).toEqual({ plan: 'enterprise' });
    const timeline = await server.request('GET', '/v1/profiles/userId:times-user/events?order=asc');
    const times = timeline.body.data.map((e: { timestamp: string | number }) => e.timestamp);
    expect(times).toHaveLength(2);
    expect(new Date(times[0]).getTime()).toBe(weekAgo);
  });

  it('answers a blank profile for an opted-out user, so the SDK helpers carry on', async () => {
    await client.sendIdentifyEvent('sdk-opted-out', { plan: 'pro' });
    expect((await optOutUser(server, 'sdk-opted-out', 'site-nt-node')).status).toBe(200);
    const before = await tableCounts(server.storage);
    const tracked = await client.sendTrackEvent('sdk-opted-out', 'Bought', { total: 1 });
    expect(tracked.traits).toEqual({});
    const identified = await client.sendIdentifyEvent('sdk-opted-out', { plan: 'max' });
    expect(identified.id).not.toBe(tracked.id);
    expect(await tableCounts(server.storage)).toEqual(before);
    await expect(client.getProfile(tracked.id)).rejects.toThrow(/404/);
  });

  it('deletes a profile (no SDK method: a plain DELETE)', async () => {
    const { profile } = await client.createProfile({ events: [pageEvent('/')] });
    const base = `${server.url}/v2/organizations/default/environments/main/profiles`;
    const res = await fetch(`${base}/${profile.id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: {}, error: null, message: 'ok' });
    await expect(client.getProfile(profile.id)).rejects.toThrow(/404/);
    expect((await fetch(`${base}/${profile.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('fails with the SDK error for an unknown organization or environment', async () => {
    const other = new NinetailedAPIClient({ clientId: 'nope', url: server.url });
    await expect(other.createProfile({ events: [pageEvent('/')] })).rejects.toThrow(
      /status: "\[404\]/,
    );
  });
});
