import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  mid,
  pageEvent,
  startTestServer,
  type TestResponse,
  type TestServer,
} from '../helpers/test-server.js';

let server: TestServer;
let readKey: string;
let otherKey: string;
const ids: Record<string, string> = {};
const BASE = '/track/c1/a1/b1/v1/profiles';
const t = (m: number) => new Date(Date.UTC(2025, 0, 5, 12, m)).toISOString();

/** A GET as the document's clients send it: `auth-token` header, JSON content type. */
async function get(path: string, key: string | null = readKey): Promise<TestResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key) headers['auth-token'] = key;
  const res = await fetch(`${server.url}${path}`, { headers });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

async function post(ref: string, events: unknown[], key = server.adminKey) {
  const res = await server.request('POST', `/v1/profiles/${ref}/events`, { events }, key);
  expect(res.status, ref).toBe(200);
  return res.body.profile.id as string;
}

const SURFACE_KEYS = '/v1/surface-keys/profiles-read/';
const bind = (triple: string, key = server.adminKey) =>
  server.request('PUT', SURFACE_KEYS + encodeURIComponent(triple), undefined, key);
const identify = (fields: object) => ({ type: 'identify', messageId: mid(), ...fields });
const track = (event: string, m: number, more = {}) => ({
  type: 'track',
  event,
  messageId: mid(),
  timestamp: t(m),
  ...more,
});

beforeAll(async () => {
  server = await startTestServer();
  readKey = await server.createKey(['read']);
  otherKey = await server.createKey(['admin'], 'other', 'env');
  expect((await bind('c1/a1/b1')).status).toBe(204);
  expect((await bind('c2/a2/b2', otherKey)).status).toBe(204);
  ids.solo = await post('email:solo@example.com', [
    identify({ anonymousId: 'solo-anon', userId: 'solo-user', traits: { firstName: 'Solo' } }),
  ]);
  ids.phone = await post('phone:+441112223334', [identify({ traits: { plan: 'pro' } })]);
  ids.custom = await post('customId:cust-9', [identify({ traits: { plan: 'free' } })]);
  ids.timeline = await post('userId:tl', [
    ...[0, 1, 2].map((m) => pageEvent({ timestamp: t(m) })),
    track('Email Opened', 10),
    track('Email Opened', 11),
    track('Order Completed', 20, { properties: { total: 9 } }),
  ]);
});
afterAll(() => server.destroy());

describe('traits, events, meta and metadata', () => {
  it('answers every endpoint for every idType', async () => {
    const refs: Array<[string, string]> = [
      ['userId:solo-user', ids.solo!],
      ['email:solo@example.com', ids.solo!],
      [`id:${ids.solo}`, ids.solo!],
      ['anonymousId:solo-anon', ids.solo!],
      ['phone:+441112223334', ids.phone!],
      ['customId:cust-9', ids.custom!],
    ];
    for (const [ref, id] of refs) {
      for (const endpoint of ['traits', 'meta', 'metadata']) {
        const res = await get(`${BASE}/${encodeURIComponent(ref)}/${endpoint}`);
        expect(res.status, `${ref} ${endpoint}`).toBe(200);
        expect(res.body.id).toBe(id);
      }
      const events = await get(`${BASE}/${encodeURIComponent(ref)}/events`);
      expect(events.status, ref).toBe(200);
      expect(events.body.data.map((e: { id: string }) => e.id)).toEqual([id]);
    }
  });

  it('shapes traits flat, with the id, externalId and contact fields', async () => {
    const traits = await get(`${BASE}/userId:solo-user/traits`);
    expect(traits.body).toEqual({
      firstName: 'Solo',
      email: 'solo@example.com',
      externalId: 'solo-user',
      id: ids.solo,
      marketingPreferences: { channels: [] },
    });
    expect((await get(`${BASE}/phone:+441112223334/traits`)).body.phone).toBe('+441112223334');
    const meta = await get(`${BASE}/userId:tl/meta`);
    expect(meta.body).toMatchObject({
      id: ids.timeline,
      externalId: 'tl',
      createdBy: { type: 'native' },
      firstEvent: { page: { eventTime: t(0) }, email_opened: { eventTime: t(10) } },
      lastEvent: { page: { eventTime: t(2) }, order_completed: { eventTime: t(20) } },
      lastActivityTime: t(20),
      eventCount: 6,
      audiencesStatic: [],
    });
    expect(meta.body.created_at).toBe(meta.body.createdBy.createdTime);
    expect(Date.parse(meta.body.updated_at)).toBeGreaterThanOrEqual(
      Date.parse(meta.body.created_at),
    );
  });

  it('answers {data: [...]} for an email several profiles share, and merges their events', async () => {
    const a = await post('email:shared@example.com', [identify({ traits: { firstName: 'A' } })]);
    const email = 'shared@example.com';
    // An identify's traits.email attaches the (shareable) email to a second profile.
    const b = await post('userId:shared-b', [identify({ traits: { email }, timestamp: t(1) })]);
    for (const endpoint of ['traits', 'meta']) {
      const res = await get(`${BASE}/email:shared@example.com/${endpoint}`);
      expect(res.body.data.map((p: { id: string }) => p.id).sort()).toEqual([a, b].sort());
      expect(res.body.data.map((p: { email: string }) => p.email)).toEqual([email, email]);
    }
    const events = await get(`${BASE}/email:shared@example.com/events?sort=asc`);
    expect(events.body.data.map((e: { id: string }) => e.id)).toEqual([b, a]);
  });
});

describe('event filters', () => {
  const times = async (query: string) => {
    const res = await get(`${BASE}/userId:tl/events?${query}`);
    expect(res.status, query).toBe(200);
    return res.body.data.map((e: { eventTime: string }) => e.eventTime);
  };

  it('shapes events as the document does, newest first by default', async () => {
    const res = await get(`${BASE}/userId:tl/events`);
    expect(res.body.data).toHaveLength(6);
    expect(res.body.data[0]).toMatchObject({
      id: ids.timeline,
      customerId: ids.timeline,
      externalId: 'tl',
      userId: 'tl',
      eventAction: 'order_completed',
      eventTime: t(20),
      clientId: 'c1',
      accountId: 'a1',
      brandId: 'b1',
      rawData: {
        action: 'track',
        event: 'Order Completed',
        properties: { total: 9 },
        timestamp: t(20),
      },
    });
    expect(res.body.data[0].eventId).toEqual(expect.any(String));
    expect(res.body.data[0].receivedTime).toEqual(expect.any(String));
  });

  it('includes and excludes by raw event name or by action', async () => {
    expect(await times('include=Email%20Opened')).toEqual([t(11), t(10)]);
    expect(await times('include=email_opened')).toEqual([t(11), t(10)]);
    expect(await times('include=page,orderCompleted&sort=asc')).toEqual([t(0), t(1), t(2), t(20)]);
    expect(await times('exclude=page,Email%20Opened')).toEqual([t(20)]);
  });

  it('restricts by start and end, sorts both ways, and pages with from and size', async () => {
    expect(await times(`start=${t(1)}&end=${t(10)}&sort=asc`)).toEqual([t(1), t(2), t(10)]);
    expect(await times('start=2025-01-06')).toEqual([]);
    expect(await times('end=2025-01-05&sort=asc')).toEqual([]);
    // An offset, encoded or not (a bare + arrives as a space): 13:01+01:00 is 12:01Z.
    for (const start of ['2025-01-05T13:01:00%2B01:00', '2025-01-05T13:01:00+01:00'])
      expect(await times(`start=${start}&end=${t(2)}&sort=asc`)).toEqual([t(1), t(2)]);
    expect(await times('sort=asc')).toEqual([t(0), t(1), t(2), t(10), t(11), t(20)]);
    expect(await times('sort=desc&size=2')).toEqual([t(20), t(11)]);
    const pages = [await times('sort=asc&size=4'), await times('sort=asc&from=4&size=4')];
    expect(pages.map((p) => p.length)).toEqual([4, 2]);
    expect(new Set(pages.flat()).size).toBe(6);
    expect(await times('from=9900&size=100')).toEqual([]);
  });

  it('refuses sizes outside 1–100, a window past 10,000 and malformed values', async () => {
    const bad = `size=0 size=101 from=-1 from=9950&size=100 from=10001&size=1 sort=sideways
      start=yesterday start=${t(5)}&end=${t(1)} start=2024-02-30 end=2025-13-01`;
    for (const query of bad.split(/\s+/)) {
      const res = await get(`${BASE}/userId:tl/events?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code, query).toBe('invalid_request_error');
    }
  });
});

describe('binding a key', () => {
  it('refuses a key the paths could never carry', async () => {
    for (const triple of ['nounslash', 'a/b', 'a/b/c/d', ' /b/c']) {
      const res = await bind(triple);
      expect(res.status, triple).toBe(400);
      expect(res.body.errors[0].field).toBe('params.key');
    }
    // Binding one key several times at once is as idempotent as binding it again.
    const binds = await Promise.all(Array.from({ length: 8 }, () => bind('c9/a9/b9')));
    expect(binds.map((b) => b.status)).toEqual(Array(8).fill(204));
    expect((await server.request('DELETE', `${SURFACE_KEYS}c9%2Fa9%2Fb9`)).status).toBe(204);
    const slashed = await server.request('PUT', '/v1/surface-keys/mypreferences/a%2Fb');
    expect(slashed.status).toBe(400);
    expect((await server.request('GET', '/v1/surface-keys')).body.data).toHaveLength(1);
  });
});

describe('listing all profiles', () => {
  it('scrolls through more than 100 profiles until data runs out, without repeats', async () => {
    const key = await server.createKey(['admin'], 'scroll', 'env');
    expect((await bind('c3/a3/b3', key)).status).toBe(204);
    const events = Array.from({ length: 130 }, (_, i) => pageEvent({ anonymousId: `scroll-${i}` }));
    expect((await server.request('POST', '/v1/events', { events }, key)).status).toBe(200);
    // The listing pages with scrollId: an offset is refused, not ignored.
    const offset = await get('/track/c3/a3/b3/v1/profiles?from=5', key);
    expect(offset.status).toBe(400);
    expect(offset.body.error.code).toBe('invalid_request_error');
    expect((await get('/track/c3/a3/b3/v1/profiles?from=0&size=1', key)).status).toBe(200);
    const seen: string[] = [];
    const sizes: number[] = [];
    let scrollId: string | undefined;
    for (;;) {
      const query = scrollId === undefined ? '' : `?scrollid=${scrollId}`;
      const res = await get(`/track/c3/a3/b3/v1/profiles${query}`, key);
      expect(res.status).toBe(200);
      sizes.push(res.body.data.length);
      if (res.body.data.length === 0) {
        expect(res.body.scrollId).toBeUndefined();
        break;
      }
      seen.push(...res.body.data.map((p: { id: string }) => p.id));
      scrollId = res.body.scrollId;
    }
    expect(sizes).toEqual([100, 30, 0]);
    expect(new Set(seen).size).toBe(130);

    // The same scroll id with another environment's key and triple is refused.
    const foreign = await get(`${BASE}?scrollid=${scrollId}`);
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.code).toBe('invalid_request_error');
    expect((await get(`${BASE}?scrollid=not-a-scroll-id`)).status).toBe(400);
  });
});

describe('tenancy, authentication and errors', () => {
  it('answers the same 404 for an unknown triple and for another environment’s triple', async () => {
    const unknown = await get('/track/nope/a1/b1/v1/profiles/userId:solo-user/traits');
    const foreign = await get(`${BASE}/userId:solo-user/traits`, otherKey);
    const ownTriple = await get('/track/c2/a2/b2/v1/profiles/userId:solo-user/traits', otherKey);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    expect([foreign.status, foreign.body]).toEqual([unknown.status, unknown.body]);
    // Its own triple works, but shows only its own environment's customers.
    expect([ownTriple.status, ownTriple.body.error.code]).toEqual([404, 'not_found']);
  });

  it('answers 400 validation_error for a malformed profile id', async () => {
    for (const ref of ['solo-user', 'bogus:1', 'email:']) {
      const res = await get(`${BASE}/${ref}/traits`);
      expect(res.status, ref).toBe(400);
      expect(res.body).toEqual({
        error: { code: 'validation_error', message: 'ProfileID must be in format of id_type:id' },
      });
    }
  });

  it('echoes the request id as x-amzn-RequestId, errors included', async () => {
    for (const path of [`${BASE}/userId:tl/traits`, `${BASE}/nobody/traits`, '/track/x']) {
      const res = await get(path);
      expect(res.headers.get('x-amzn-RequestId'), path).toBe(res.headers.get('x-request-id'));
      expect(res.headers.get('x-request-id')).toBeTruthy();
    }
    expect((await get('/track/x')).body.error.code).toBe('not_found');
  });

  it('refuses a request declaring more than 1 MB with 413', async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = http.request(`${server.url}${BASE}/userId:tl/traits`, {
        method: 'GET',
        headers: { 'auth-token': readKey, 'content-length': String(1024 * 1024 + 1) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end(Buffer.alloc(1024 * 1024 + 1));
    });
    expect(status).toBe(413);
  });

  it('answers 401 authentication_error on every route without a valid read credential', async () => {
    const routes = server.app.routeTable.filter((r) => r.surface === 'profiles-read');
    expect(routes.map((r) => `${r.method} ${r.url}`).sort()).toEqual(
      ['', '/:profileId/events', '/:profileId/meta', '/:profileId/metadata', '/:profileId/traits']
        .map((s) => `GET /track/:clientId/:accountId/:brandId/v1/profiles${s}`)
        .sort(),
    );
    const writeOnly = await server.createKey(['write']);
    const unknownKey = `tsk_${'0'.repeat(32)}_${'A'.repeat(43)}`;
    for (const route of routes) {
      const path = route.url
        .replace(':clientId/:accountId/:brandId', 'c1/a1/b1')
        .replace(':profileId', 'userId:tl');
      for (const key of [null, unknownKey, 'garbage', writeOnly]) {
        const res = await get(path, key);
        expect(res.status, `${path} ${key}`).toBe(401);
        expect(res.body.error.code).toBe('authentication_error');
      }
    }
  });
});

describe('marketing preferences', () => {
  it('shows the profile’s channel subscriptions in traits and meta', async () => {
    await post('userId:channels', [identify({ traits: { firstName: 'Cy' } })]);
    for (const [channel, subscribed] of [
      ['email', true],
      ['sms', false],
    ] as const) {
      const res = await server.request(
        'PUT',
        `/v1/profiles/userId:channels/preferences/news/${channel}`,
        { subscribed },
      );
      expect(res.status).toBe(200);
    }
    for (const endpoint of ['traits', 'meta']) {
      const res = await get(`${BASE}/userId:channels/${endpoint}`);
      expect(res.body.marketingPreferences.channels).toEqual(
        expect.arrayContaining([
          { channel: 'email', subscribed: true },
          { channel: 'sms', subscribed: false },
        ]),
      );
    }
  });
});
