import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mid, startTestServer, type TestServer, tableCounts } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  // A second environment of the default organization, and a second organization.
  await server.createKey(['read'], 'default', 'staging');
  await server.createKey(['read'], 'acme', 'main');
});
afterAll(() => server.destroy());

const BASE = '/v2/organizations/default/environments/main';

// biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON answers
async function call(path: string, body?: unknown, init: RequestInit = {}): Promise<any> {
  const res = await fetch(`${server.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...init,
  });
  return { status: res.status, body: await res.json() };
}

const page = (path = '/') => ({
  type: 'page',
  messageId: mid('nt'),
  properties: { path, url: `https://shop.example${path}`, referrer: '', search: '', query: {} },
});
const track = (event: string, anonymousId?: string) => ({
  type: 'track',
  event,
  messageId: mid('nt'),
  ...(anonymousId ? { anonymousId } : {}),
});
const identify = (userId: string, traits: Record<string, unknown>, anonymousId?: string) => ({
  type: 'identify',
  messageId: mid('nt'),
  userId,
  traits,
  ...(anonymousId ? { anonymousId } : {}),
});

async function create(events: unknown[], base = BASE): Promise<string> {
  const res = await call(`${base}/profiles`, { events });
  expect(res.status).toBe(200);
  return res.body.data.profile.id;
}

describe('tenancy', () => {
  it('answers ERR_CONFIG_NOT_FOUND for an unknown organization or environment', async () => {
    for (const base of [
      '/v2/organizations/nope/environments/main',
      '/v2/organizations/default/environments/nope',
      '/v2/organizations/acme/environments/staging',
    ]) {
      for (const [path, body, method] of [
        ['/profiles', { events: [page()] }, 'POST'],
        ['/profiles/x', { events: [page()] }, 'POST'],
        ['/profiles/x', undefined, 'GET'],
        ['/profiles/x', undefined, 'DELETE'],
        ['/events', { events: [track('T', 'a')] }, 'POST'],
      ] as const) {
        const res = await call(`${base}${path}`, body, { method });
        expect(res.status, `${method} ${base}${path}`).toBe(404);
        expect(res.body.error).toEqual({ code: 'ERR_CONFIG_NOT_FOUND' });
      }
    }
  });

  it("answers ERR_NAMESPACE_MISMATCH for another environment's profile, and changes nothing", async () => {
    const id = await create([identify('', { secret: 'main only' })]);
    const before = await tableCounts(server.storage);
    for (const base of [
      '/v2/organizations/default/environments/staging',
      '/v2/organizations/acme/environments/main',
    ]) {
      for (const method of ['GET', 'DELETE']) {
        const res = await call(`${base}/profiles/${id}`, undefined, { method });
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('ERR_NAMESPACE_MISMATCH');
      }
      const update = await call(`${base}/profiles/${id}`, { events: [page()] });
      expect(update.status).toBe(404);
      expect(update.body.error.code).toBe('ERR_NAMESPACE_MISMATCH');
    }
    // An id that exists nowhere is simply not found.
    const unknown = await call(`${BASE}/profiles/01900000-0000-7000-8000-000000000000`);
    expect(unknown.body.error.code).toBe('ERR_PROFILE_NOT_FOUND');
    expect(await tableCounts(server.storage)).toEqual(before);
    expect((await call(`${BASE}/profiles/${id}`)).body.data.profile.traits).toEqual({
      secret: 'main only',
    });
  });

  it('keeps the same organization and environment slugs apart per organization', async () => {
    const id = await create([page()], '/v2/organizations/acme/environments/main');
    expect((await call(`${BASE}/profiles/${id}`)).status).toBe(404);
    expect((await call(`/v2/organizations/acme/environments/main/profiles/${id}`)).status).toBe(
      200,
    );
  });
});

describe('identity', () => {
  it('resolves a merged-away id to the survivor, for reads and writes', async () => {
    const known = await create([identify('merge-user', { tier: 'gold' })]);
    const anonymous = await create([page('/landing')]);
    const merged = await call(`${BASE}/profiles/${anonymous}`, {
      events: [identify('merge-user', {})],
    });
    expect(merged.body.data.profile.id).toBe(known);

    const read = await call(`${BASE}/profiles/${anonymous}`);
    expect(read.body.data.profile).toMatchObject({ id: known, traits: { tier: 'gold' } });
    const write = await call(`${BASE}/profiles/${anonymous}`, {
      events: [identify('', { seen: true })],
    });
    expect(write.body.data.profile).toMatchObject({ id: known, traits: { seen: true } });
  });

  it('answers 404 for every alias of a deleted profile', async () => {
    const known = await create([identify('delete-user', {})]);
    const anonymous = await create([page()]);
    await call(`${BASE}/profiles/${anonymous}`, { events: [identify('delete-user', {})] });
    // Deleting through the alias deletes the profile it resolves to, and all its aliases.
    const del = await call(`${BASE}/profiles/${anonymous}`, undefined, { method: 'DELETE' });
    expect(del).toEqual({ status: 200, body: { data: {}, error: null, message: 'ok' } });
    for (const id of [known, anonymous]) {
      const res = await call(`${BASE}/profiles/${id}`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('ERR_PROFILE_NOT_FOUND');
      const update = await call(`${BASE}/profiles/${id}`, { events: [page()] });
      expect(update.body.error.code).toBe('ERR_PROFILE_NOT_FOUND');
    }
  });

  it('refuses to turn one known user into another as invalid data', async () => {
    const id = await create([identify('first-user', {})]);
    const res = await call(`${BASE}/profiles/${id}`, { events: [identify('second-user', {})] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('ERR_INVALID_DATA');
  });
});

describe('batch upsert', () => {
  it('answers one profile per anonymousId, without experiences', async () => {
    const res = await call(`${BASE}/events`, {
      events: [
        page('/'),
        track('T', 'batch-a'),
        identify('batch-user-a', { n: 1 }, 'batch-a'),
        track('T', 'batch-b'),
      ].map((e) => ({ anonymousId: 'batch-a', ...e })),
    });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.data)).toEqual(['profiles']);
    expect(res.body.data.profiles).toHaveLength(2);
    const [a, b] = res.body.data.profiles;
    expect(a.traits).toEqual({ n: 1 });
    expect(b.id).not.toBe(a.id);
    // The same anonymousId names the same profile next time.
    const again = await call(`${BASE}/events`, { events: [track('U', 'batch-a')] });
    expect(again.body.data.profiles[0].id).toBe(a.id);
  });

  it('enforces 200 events, 50 identify events and 50 profiles', async () => {
    const before = await tableCounts(server.storage);
    const tooMany = Array.from({ length: 201 }, (_, i) => track('T', `limit-${i % 10}`));
    const identifies = Array.from({ length: 51 }, (_, i) => identify('', { i }, `limit-${i % 10}`));
    const profiles = Array.from({ length: 51 }, (_, i) => track('T', `limit-p-${i}`));
    const unkeyed = [track('T', 'limit-k'), track('T')];
    for (const events of [tooMany, identifies, profiles, unkeyed]) {
      const res = await call(`${BASE}/events`, { events });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('ERR_INVALID_DATA');
    }
    expect(await tableCounts(server.storage)).toEqual(before);

    const full = Array.from({ length: 200 }, (_, i) =>
      i < 50 ? identify('', { i }, `full-${i}`) : track('T', `full-${i % 50}`),
    );
    const res = await call(`${BASE}/events`, { events: full });
    expect(res.status).toBe(200);
    expect(res.body.data.profiles).toHaveLength(50);
  });

  it('takes every event the browser SDK queued in one create call, beyond the batch cap', async () => {
    const before = await tableCounts(server.storage);
    const queued = Array.from({ length: 260 }, () => track('Impression'));
    expect((await call(`${BASE}/profiles`, { events: queued })).status).toBe(200);
    expect((await tableCounts(server.storage)).events).toBe(before.events + 260);
    const tooMany = Array.from({ length: 2001 }, () => track('Impression'));
    expect((await call(`${BASE}/profiles`, { events: tooMany })).status).toBe(400);
  });
});

describe('location', () => {
  const withOptions = (options: unknown, headers: Record<string, string> = {}, events = [page()]) =>
    call(`${BASE}/profiles`, { events, options }, { headers });

  it('takes options.location for events that carry none, and drops a code that is no country', async () => {
    const res = await withOptions({ location: { city: 'Berlin', countryCode: 'de' } });
    expect(res.body.data.profile.location).toEqual({ city: 'Berlin', countryCode: 'DE' });
    const bogus = await withOptions({ location: { city: 'Nowhere', countryCode: 'ZZ' } });
    expect(bogus.body.data.profile.location).toEqual({ city: 'Nowhere' });
  });

  it("keeps an event's own context.location, even an empty one", async () => {
    const own = { ...page(), context: { location: { countryCode: 'FR' } } };
    const res = await withOptions({ location: { countryCode: 'DE' } }, {}, [own]);
    expect(res.body.data.profile.location).toEqual({ countryCode: 'FR' });
    const none = { ...page(), context: { location: {} } };
    const empty = await withOptions({ location: { countryCode: 'DE' } }, {}, [none]);
    expect(empty.body.data.profile.location).toEqual({});
  });

  it('reads Cloudflare location headers only with the location feature; an IP alone is nothing', async () => {
    const headers = { 'cf-ipcountry': 'CH', 'cf-ipcity': 'Zurich', 'x-force-ip': '8.8.8.8' };
    const on = await withOptions({ features: ['location', 'ip-enrichment'] }, headers);
    expect(on.body.data.profile.location).toEqual({ countryCode: 'CH', city: 'Zurich' });
    const off = await withOptions({}, headers);
    expect(off.body.data.profile.location).toEqual({});
    const ipOnly = await withOptions({ features: ['location'] }, { 'x-force-ip': '8.8.8.8' });
    expect(ipOnly.body.data.profile.location).toEqual({});
  });
});
