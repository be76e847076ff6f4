import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mid, startTestServer, type TestServer, tableCounts } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.destroy());

const BASE = '/v2/organizations/default/environments/main';

interface Call {
  method?: string;
  contentType?: string | null;
  headers?: Record<string, string>;
  /** Sent as is instead of JSON.stringify(body). */
  raw?: string;
}

/** A request as a browser page or a server would send it: no credential, text/plain JSON. */
async function call(path: string, body?: unknown, options: Call = {}) {
  const headers: Record<string, string> = { ...options.headers };
  const contentType = options.contentType === undefined ? 'text/plain' : options.contentType;
  if (body !== undefined && contentType) headers['content-type'] = contentType;
  const res = await fetch(`${server.url}${path}`, {
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body: options.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON answers
    body: (text ? JSON.parse(text) : null) as any,
  };
}

const page = (path = '/') => ({
  type: 'page',
  messageId: mid('nt'),
  properties: { path, url: `https://shop.example${path}`, referrer: '', search: '', query: {} },
});
const identify = (traits: Record<string, unknown>, userId = '') => ({
  type: 'identify',
  messageId: mid('nt'),
  userId,
  traits,
});

function expectError(res: Awaited<ReturnType<typeof call>>, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.body).toEqual({ message: expect.any(String), data: {}, error: { code } });
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
}

describe('envelope and bodies', () => {
  it('answers {data, error: null, message: "ok"} to a text/plain body, with CORS', async () => {
    const res = await call(`${BASE}/profiles`, { events: [page('/a')] });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['data', 'error', 'message']);
    expect(res.body).toMatchObject({ error: null, message: 'ok' });
    expect(Object.keys(res.body.data).sort()).toEqual(['changes', 'experiences', 'profile']);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('reads application/json and text/plain with a charset alike', async () => {
    for (const contentType of ['application/json', 'text/plain;charset=UTF-8']) {
      const res = await call(`${BASE}/profiles`, { events: [page()] }, { contentType });
      expect(res.status, contentType).toBe(200);
    }
  });

  it('answers ERR_INVALID_DATA (400) for every kind of bad request, storing nothing', async () => {
    const before = await tableCounts(server.storage);
    const cases: Array<[string, unknown, Call?]> = [
      ['not JSON', undefined, { raw: '{"events": [', method: 'POST' }],
      ['no events', {}],
      ['empty events', { events: [] }],
      ['events not a list', { events: 'page' }],
      ['a page without path', { events: [{ type: 'page', properties: {} }] }],
      ['a track without name', { events: [{ type: 'track' }] }],
      ['an alias (not an Experience API type)', { events: [{ type: 'alias', userId: 'x' }] }],
      ['a bad second event', { events: [page(), { type: 'screen' }] }],
      [
        'prototype poisoning',
        undefined,
        { raw: `{"events":[${JSON.stringify(page())}],"__proto__":{"x":1}}` },
      ],
    ];
    for (const [name, body, options] of cases) {
      const res = await call(`${BASE}/profiles`, body, { method: 'POST', ...options });
      expectError(res, 400, 'ERR_INVALID_DATA');
      expect(res.body.message, name).not.toBe('');
    }
    const deep = {
      events: [identify({ a: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) })],
    };
    expectError(await call(`${BASE}/profiles`, deep), 400, 'ERR_INVALID_DATA');
    expect(await tableCounts(server.storage)).toEqual(before);
  });

  it('names the refused event and field in the message', async () => {
    const res = await call(`${BASE}/profiles`, { events: [page(), { type: 'page' }] });
    expectError(res, 400, 'ERR_INVALID_DATA');
    expect(res.body.message).toMatch(/events\[1\]\.properties\.path/);
  });

  it('refuses an unknown query type, and other content types, as invalid data', async () => {
    const res = await call(`${BASE}/profiles?type=dry-run`, { events: [page()] });
    expectError(res, 400, 'ERR_INVALID_DATA');
    const form = await call(`${BASE}/profiles`, undefined, {
      method: 'POST',
      raw: 'events=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectError(form, 415, 'ERR_INVALID_DATA');
  });

  it('refuses a body over the size limit with 413 ERR_INVALID_DATA', async () => {
    const big = { events: [identify({ blob: 'x'.repeat(1024 * 1024) })] };
    expectError(await call(`${BASE}/profiles`, big), 413, 'ERR_INVALID_DATA');
  });

  it('accepts locale on every call', async () => {
    const res = await call(`${BASE}/profiles?locale=de`, { events: [page()] });
    expect(res.status).toBe(200);
    const got = await call(`${BASE}/profiles/${res.body.data.profile.id}?locale=de`);
    expect(got.status).toBe(200);
  });
});

describe('CORS', () => {
  it('answers a preflight for every path of the surface', async () => {
    for (const path of [`${BASE}/profiles`, `${BASE}/profiles/some-id`, `${BASE}/events`]) {
      const res = await fetch(`${server.url}${path}`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://shop.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST, DELETE, OPTIONS');
      expect(res.headers.get('access-control-allow-headers')).toBe('content-type, x-force-ip');
    }
  });

  it('puts Access-Control-Allow-Origin on errors and unknown paths too', async () => {
    expectError(await call(`${BASE}/profiles/nobody`), 404, 'ERR_PROFILE_NOT_FOUND');
    expectError(
      await call('/v2/organizations/x/environments/y/profiles/z'),
      404,
      'ERR_CONFIG_NOT_FOUND',
    );
    expectError(await call(`${BASE}/nothing-here`), 404, 'ERR_NOT_FOUND');
  });

  it('needs no credential, and ignores one', async () => {
    const res = await call(
      `${BASE}/profiles`,
      { events: [page()] },
      {
        headers: { authorization: 'Bearer garbage' },
      },
    );
    expect(res.status).toBe(200);
  });
});

describe('limits', () => {
  it('answers 429 ERR_PROFILE_OVERLOAD with Retry-After when an address sends too much', async () => {
    const limited = await startTestServer({
      env: { TESSERA_RATE_LIMIT_PER_SECOND: '0.01', TESSERA_RATE_LIMIT_BURST: '2' },
    });
    try {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 3; i++) {
        last = await fetch(`${limited.url}${BASE}/profiles/x`);
        statuses.push(last.status);
      }
      expect(statuses).toEqual([404, 404, 429]);
      expect(await last!.json()).toMatchObject({ error: { code: 'ERR_PROFILE_OVERLOAD' } });
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(last!.headers.get('access-control-allow-origin')).toBe('*');
    } finally {
      await limited.destroy();
    }
  });

  it('counts an IPv6 client by its /64, so rotating addresses inside it gains nothing', async () => {
    const limited = await startTestServer({
      env: {
        TESSERA_RATE_LIMIT_PER_SECOND: '0.01',
        TESSERA_RATE_LIMIT_BURST: '2',
        TESSERA_TRUST_PROXY: 'true',
      },
    });
    try {
      const from = (address: string) =>
        fetch(`${limited.url}${BASE}/profiles/x`, { headers: { 'x-forwarded-for': address } });
      const statuses: number[] = [];
      for (const host of ['1', '2', '3'])
        statuses.push((await from(`2001:db8:0:1::${host}`)).status);
      expect(statuses).toEqual([404, 404, 429]);
      // Another /64 has a bucket of its own.
      expect((await from('2001:db8:0:2::1')).status).toBe(404);
    } finally {
      await limited.destroy();
    }
  });

  it('answers concurrent writes to one profile with 200 or 429 ERR_PROFILE_OVERLOAD only', async () => {
    const created = await call(`${BASE}/profiles`, { events: [page()] });
    const id = created.body.data.profile.id;
    const answers = await Promise.all(
      Array.from({ length: 30 }, () =>
        call(`${BASE}/profiles/${id}`, { events: [{ type: 'track', event: 'Tick' }] }),
      ),
    );
    for (const res of answers) {
      if (res.status === 200) continue;
      expectError(res, 429, 'ERR_PROFILE_OVERLOAD');
    }
  });
});
