import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  mid,
  pageEvent,
  startTestServer,
  type TestServer,
  tableCounts,
} from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  // Something stored that bad requests must leave alone.
  await server.request('POST', '/v1/events', {
    events: [
      pageEvent({ anonymousId: 'keep-me' }),
      {
        type: 'identify',
        messageId: mid(),
        userId: 'keep',
        anonymousId: 'keep-me',
        traits: { a: 1 },
      },
    ],
  });
});
afterAll(() => server.destroy());

async function raw(path: string, body: string | Buffer, contentType = 'application/json') {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': contentType },
    body,
  });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: (await res.json()) as { code: string },
  };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('bad input answers 4xx in problem+json and changes nothing stored', () => {
  const cases: Array<
    [
      string,
      () => Promise<{ status: number; type: string | null; body: { code: string } }>,
      number,
      string,
    ]
  > = [
    ['malformed JSON', () => raw('/v1/events', '{"events": [}'), 400, 'invalid_json'],
    ['empty body', () => raw('/v1/events', ''), 400, 'invalid_json'],
    [
      '__proto__ key',
      () =>
        raw(
          '/v1/events',
          '{"events":[{"type":"track","event":"x","userId":"keep","__proto__":{"admin":true}}]}',
        ),
      400,
      'invalid_json',
    ],
    [
      'constructor.prototype key',
      () =>
        raw(
          '/v1/events',
          '{"events":[{"type":"track","event":"x","userId":"keep","constructor":{"prototype":{"a":1}}}]}',
        ),
      400,
      'invalid_json',
    ],
    [
      'JSON nested too deeply',
      () => raw('/v1/events', `{"events":[${nested(200)}]}`),
      400,
      'json_too_deep',
    ],
    [
      'body over 1 MB',
      () => raw('/v1/events', `{"events":["${'x'.repeat(1_100_000)}"]}`),
      413,
      'body_too_large',
    ],
    [
      'unsupported content type',
      () => raw('/v1/events', 'events=1', 'application/x-www-form-urlencoded'),
      415,
      'unsupported_media_type',
    ],
    [
      'a string with an unpaired surrogate (stored, it would turn into U+FFFD)',
      () =>
        raw('/v1/events', '{"events":[{"type":"identify","userId":"\\ud800","messageId":"s-1"}]}'),
      400,
      'invalid_json',
    ],
    [
      'a key with an unpaired surrogate',
      () =>
        raw(
          '/v1/events',
          '{"events":[{"type":"identify","userId":"keep","traits":{"\\udfff":1},"messageId":"s-2"}]}',
        ),
      400,
      'invalid_json',
    ],
    [
      'a number beyond a double (it would be stored as null)',
      () =>
        raw(
          '/v1/events',
          '{"events":[{"type":"identify","userId":"keep","traits":{"a":1e400},"messageId":"s-3"}]}',
        ),
      400,
      'invalid_json',
    ],
    ['no events array', () => raw('/v1/events', '{"event":{}}'), 400, 'validation_failed'],
    ['empty events array', () => raw('/v1/events', '{"events":[]}'), 400, 'validation_failed'],
    [
      'unknown ref type',
      () => raw('/v1/profiles/shoeSize:42/events', '{"events":[{"type":"track","event":"x"}]}'),
      400,
      'invalid_reference',
    ],
  ];
  for (const [name, send, status, code] of cases) {
    it(name, async () => {
      const before = await tableCounts(server.storage);
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.type).toContain('application/problem+json');
      expect(res.body.code).toBe(code);
      expect(await tableCounts(server.storage)).toEqual(before);
    });
  }

  it('ignores an empty JSON body on a route that takes none', async () => {
    const res = await fetch(`${server.url}/v1/profiles/userId:nobody-here`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('profile_not_found');
  });

  it('says a prototype key was refused, not that the JSON is invalid', async () => {
    const res = await raw(
      '/v1/events',
      '{"events":[{"type":"track","event":"x","userId":"keep","properties":{"__proto__":{}}}]}',
    );
    expect(res.body).toMatchObject({
      code: 'invalid_json',
      title: expect.stringMatching(/__proto__/),
    });
  });

  it('names the event index and field of every invalid event, and applies none of the batch', async () => {
    const before = await tableCounts(server.storage);
    const res = await server.request('POST', '/v1/events', {
      events: [
        { type: 'track', event: 'Fine', userId: 'keep', messageId: mid() },
        { type: 'track', userId: 'keep' },
        { type: 'teleport', userId: 'keep' },
        { type: 'page', userId: 'keep', properties: { title: 'no path' } },
        { type: 'track', event: 'Nobody' },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    const where = res.body.errors.map(
      (e: { index: number; field: string }) => `${e.index}:${e.field}`,
    );
    expect(where).toEqual(expect.arrayContaining(['1:event', '2:type', '4:anonymousId']));
    expect(res.body.errors.some((e: { index: number }) => e.index === 3)).toBe(true);
    expect(res.body.errors.some((e: { index: number }) => e.index === 0)).toBe(false);
    expect(await tableCounts(server.storage)).toEqual(before);
  });

  it('answers bad query parameters and cursors with 400', async () => {
    for (const path of [
      '/v1/profiles?limit=0',
      '/v1/profiles?limit=1000',
      '/v1/profiles?cursor=not-a-cursor',
      '/v1/profiles/userId:keep/events?order=sideways',
      '/v1/profiles/userId:keep/events?start=yesterday',
      '/v1/profiles/userId:keep/events?cursor=e30',
      // Numbers past every bound, which Ajv's coercion and bounds let through.
      '/v1/profiles?limit=Infinity',
      '/v1/profiles/userId:keep/events?limit=1e400',
      '/v1/change-events?limit=-Infinity',
      // A leap second passes the date-time format, and no clock has it.
      '/v1/profiles/userId:keep/events?start=2024-06-30T23:59:60Z',
      // Forged cursors: a time that is not an integer, ids holding a NUL.
      `/v1/profiles/userId:keep/events?cursor=${b64({ t: 1.5, id: 'x' })}`,
      `/v1/profiles/userId:keep/events?cursor=${b64({ t: 9.3e18, id: 'x' })}`,
      `/v1/profiles/userId:keep/events?cursor=${b64({ t: 1, id: 'a\u0000b' })}`,
      `/v1/profiles?cursor=${b64({ after: 'a\u0000' })}`,
      // Raw id cursors are ids as stored: lower-case (an upper-case one would page from elsewhere).
      '/v1/profiles/userId:keep/consents/history?cursor=garbage',
      '/v1/change-events?after=01A24FE5-5ACE-7000-8000-000000000000',
    ]) {
      const res = await server.request('GET', path);
      expect(res.status, path).toBe(400);
      expect(res.body.code, path).toBe('validation_failed');
    }
  });

  it('keeps prototype-named trait keys away from object prototypes', async () => {
    const res = await server.request('POST', '/v1/profiles/userId:proto/events', {
      events: [{ type: 'identify', messageId: mid(), traits: { prototype: 1, safe: true } }],
    });
    expect(res.status).toBe(200);
    expect(res.body.profile.traits).toEqual({ safe: true });
    expect(({} as Record<string, unknown>).safe).toBeUndefined();
  });

  it('answers unknown profiles and routes with 404', async () => {
    expect((await server.request('GET', '/v1/profiles/userId:nobody')).body.code).toBe(
      'profile_not_found',
    );
    expect(
      (await server.request('GET', '/v1/profiles/01900000-0000-7000-8000-000000000000')).status,
    ).toBe(404);
    const res = await server.request(
      'POST',
      '/v1/profiles/01900000-0000-7000-8000-000000000000/events',
      {
        events: [{ type: 'track', event: 'x' }],
      },
    );
    expect(res.status).toBe(404);
    expect((await server.request('GET', '/v1/nothing-here')).status).toBe(404);
  });

  it('still has the data stored before', async () => {
    const res = await server.request('GET', '/v1/profiles/userId:keep');
    expect(res.body.traits).toEqual({ a: 1 });
    expect(res.body.metadata.eventCount).toBe(2);
  });
});

describe('control characters', () => {
  it('refuses NUL and other control characters in ids and path parameters with 400', async () => {
    const before = await tableCounts(server.storage);
    // NUL anywhere in a body (PostgreSQL text cannot hold it) is refused as the body is read.
    const inBody = await server.request('POST', '/v1/events', {
      events: [{ type: 'track', event: 'x', userId: 'bad\u0000id', messageId: mid() }],
    });
    expect(inBody.status).toBe(400);
    expect(inBody.body.code).toBe('invalid_json');
    expect(inBody.body.errors[0].field).toBe('events[0].userId');
    const inTrait = await server.request('POST', '/v1/events', {
      events: [
        { type: 'identify', userId: 'keep', traits: { note: 'a\u0000b' }, messageId: mid() },
      ],
    });
    expect(inTrait.status).toBe(400);
    expect(inTrait.body.errors[0].field).toBe('events[0].traits.note');
    const controlInId = await server.request('POST', '/v1/events', {
      events: [{ type: 'track', event: 'x', userId: 'bad\u0001id', messageId: mid() }],
    });
    expect(controlInId.status).toBe(400);
    expect(controlInId.body.errors[0]).toMatchObject({ index: 0, field: 'userId' });
    const messageId = await server.request('POST', '/v1/profiles/userId:keep/events', {
      events: [{ type: 'track', event: 'x', messageId: 'm\u0001' }],
    });
    expect(messageId.status).toBe(400);
    for (const blank of ['userId:%20%20', '%20']) {
      const res = await server.request('POST', `/v1/profiles/${blank}/events`, {
        events: [{ type: 'track', event: 'x', messageId: mid() }],
      });
      expect(res.status, blank).toBe(400);
    }
    const inPath = await server.request('GET', '/v1/profiles/userId:bad%00id');
    expect(inPath.status).toBe(400);
    expect(inPath.body.errors[0].field).toBe('path');
    expect(await tableCounts(server.storage)).toEqual(before);
  });
});

describe('bodies are taken as sent', () => {
  it('refuses a value of the wrong type instead of converting it', async () => {
    const before = await tableCounts(server.storage);
    // Fastify's default would turn null into false: a silent unsubscribe.
    const nullFlag = await server.request(
      'PUT',
      '/v1/profiles/userId:keep/preferences/news/email',
      { subscribed: null },
    );
    expect(nullFlag.status).toBe(400);
    expect(nullFlag.body.code).toBe('validation_failed');
    const oneFlag = await server.request('PUT', '/v1/profiles/userId:keep/preferences/news/email', {
      subscribed: 1,
    });
    expect(oneFlag.status).toBe(400);
    const nullEnabled = await server.request('POST', '/v1/webhooks', {
      url: 'https://hooks.example.com/x',
      eventTypes: ['profile.created'],
      enabled: null,
    });
    expect(nullEnabled.status).toBe(400);
    expect(await tableCounts(server.storage)).toEqual(before);
  });

  it('refuses a field the schema does not know instead of dropping it', async () => {
    const before = await tableCounts(server.storage);
    const misspelt = await server.request('POST', '/v1/credentials', {
      kind: 'api_key',
      name: 'misspelt',
      scopes: ['read'],
      settings: { rateLimitPerSecond: 5 },
    });
    expect(misspelt.status).toBe(400);
    expect(misspelt.body.code).toBe('validation_failed');
    expect(JSON.stringify(misspelt.body)).toContain('rateLimitPerSecond');
    expect(await tableCounts(server.storage)).toEqual(before);
  });
});
