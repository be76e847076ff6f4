import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedBytes } from '../helpers/test-database.js';
import {
  json,
  mid,
  pageEvent,
  startTestServer,
  type TestServer,
  tableCounts,
} from '../helpers/test-server.js';

let server: TestServer;
let token: string;
let writeKey: string;
const SITE = 'site-5934de97';

async function issueToken(s: TestServer, scopes: string[]) {
  const client = (
    await s.request('POST', '/v1/credentials', { kind: 'oauth_client', name: 'algonomy', scopes })
  ).body;
  const res = await fetch(
    `${s.url}/profile-command/v1/oauth2/token?grant_type=client_credentials&client_id=${client.publicId}&client_secret=${client.secret}`,
    { method: 'POST' },
  );
  return ((await json(res)) as { access_token: string }).access_token;
}

function optOut(
  userId: string,
  body: object = { type: 'optOut', enableOptOut: true },
  bearer = token,
  site = SITE,
) {
  return fetch(`${server.url}/profile-command/v1/${site}/optOut/${encodeURIComponent(userId)}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function segment(events: object[]) {
  const res = await fetch(`${server.url}/v1/batch`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ batch: events }),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  server = await startTestServer();
  expect((await server.request('PUT', `/v1/surface-keys/profile-command/${SITE}`)).status).toBe(
    204,
  );
  token = await issueToken(server, ['privacy']);
  writeKey = (
    await server.request('POST', '/v1/credentials', {
      kind: 'write_key',
      name: 'w',
      scopes: ['write'],
    })
  ).body.secret;
});
afterAll(() => server.destroy());

describe('opt-out (000 Profile Command API)', () => {
  it('erases every profile, identifier, event and merge of the user, then drops all new data through every dialect', async () => {
    await server.request('POST', '/v1/events', {
      events: [
        pageEvent({ anonymousId: 'oo-device' }),
        { type: 'identify', messageId: mid(), anonymousId: 'oo-other-device', traits: { a: 1 } },
        {
          type: 'identify',
          messageId: mid(),
          anonymousId: 'oo-device',
          userId: 'oo-user',
          traits: { email: 'x@y.z' },
        },
      ],
    });
    await server.request('POST', '/v1/events', {
      events: [
        { type: 'identify', messageId: mid(), anonymousId: 'oo-other-device', userId: 'oo-user' },
      ],
    });
    const profile = (await server.request('GET', '/v1/profiles/userId:oo-user')).body;
    expect(profile.mergedIds).toHaveLength(1);
    const bystander = (
      await server.request('POST', '/v1/profiles/userId:bystander/events', {
        events: [{ type: 'track', event: 'x', messageId: mid() }],
      })
    ).body.profile;
    const before = await tableCounts(server.storage);

    const res = await optOut('oo-user');
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ userId: 'oo-user', type: 'optOut', enableOptOut: true });

    const after = await tableCounts(server.storage);
    expect(after.profiles).toBe(before.profiles - 2);
    expect(after.merges).toBe(before.merges - 1);
    expect(after.events).toBe(before.events - 4);
    for (const table of ['profiles', 'profile_identifiers', 'events', 'merges'] as const) {
      const rows = await server.storage.db.selectFrom(table).selectAll().execute();
      expect(JSON.stringify(rows), table).not.toContain('oo-user');
      expect(JSON.stringify(rows), table).not.toContain('oo-device');
    }
    expect((await server.request('GET', `/v1/profiles/${bystander.id}`)).status).toBe(200);

    // New data for the user, through each dialect, is acknowledged and dropped.
    const native = await server.request('POST', '/v1/events', {
      events: [{ type: 'track', event: 'Back', userId: 'oo-user', messageId: mid() }],
    });
    expect(native.body).toMatchObject({ accepted: 0, suppressed: 1 });
    const addressed = await server.request('POST', '/v1/profiles/userId:oo-user/events', {
      events: [{ type: 'identify', messageId: mid(), traits: { again: true } }],
    });
    expect(addressed.status).toBe(200);
    expect(addressed.body).toMatchObject({ profile: null, suppressed: 1 });
    await segment([{ type: 'identify', userId: 'oo-user', traits: { x: 1 }, messageId: mid() }]);
    // A device the user was known to use stays silenced too.
    await segment([
      { type: 'page', anonymousId: 'oo-device', properties: { path: '/' }, messageId: mid() },
    ]);
    expect(await tableCounts(server.storage)).toEqual(after);
    expect((await server.request('GET', '/v1/profiles/userId:oo-user')).status).toBe(404);
  });

  it('erases data gathered under a new anonymous id once it is identified as the opted-out user', async () => {
    await optOut('late-user');
    await server.request('POST', '/v1/events', {
      events: [
        pageEvent({ anonymousId: 'fresh-device' }),
        pageEvent({ anonymousId: 'fresh-device' }),
      ],
    });
    expect((await server.request('GET', '/v1/profiles/anonymousId:fresh-device')).status).toBe(200);
    const identify = await server.request('POST', '/v1/events', {
      events: [
        { type: 'identify', messageId: mid(), anonymousId: 'fresh-device', userId: 'late-user' },
      ],
    });
    expect(identify.body).toMatchObject({ accepted: 0, suppressed: 1 });
    expect((await server.request('GET', '/v1/profiles/anonymousId:fresh-device')).status).toBe(404);
    // And from then on that device is silenced as well.
    const again = await server.request('POST', '/v1/events', {
      events: [pageEvent({ anonymousId: 'fresh-device' })],
    });
    expect(again.body).toMatchObject({ accepted: 0, suppressed: 1 });
  });

  it('answers no profile for events about an opted-out user sent to a shared email, and keeps it', async () => {
    await server.request('POST', '/v1/profiles/email:family-mail@example.com/events', {
      events: [{ type: 'identify', messageId: mid(), traits: { note: 'shared' } }],
    });
    await optOut('mail-user');
    const res = await server.request('POST', '/v1/profiles/email:family-mail@example.com/events', {
      events: [{ type: 'identify', messageId: mid(), userId: 'mail-user' }],
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ profile: null, accepted: 0, suppressed: 1 });
    // The email is shared: its profile may be someone else's, and stays.
    const kept = await server.request('GET', '/v1/profiles/email:family-mail@example.com');
    expect(kept.body.traits).toEqual({ note: 'shared' });
  });

  it('keeps suppression across a restart, and stores no user id in plain text', async () => {
    await optOut('restart-user');
    await server.stop();
    const bytes = await storedBytes(server.dir);
    expect(bytes.includes(Buffer.from('restart-user'))).toBe(false);
    server = await startTestServer({ dir: server.dir });
    token = await issueToken(server, ['privacy']);
    writeKey = (
      await server.request('POST', '/v1/credentials', {
        kind: 'write_key',
        name: 'w2',
        scopes: ['write'],
      })
    ).body.secret;
    const res = await server.request('POST', '/v1/events', {
      events: [{ type: 'track', event: 'x', userId: 'restart-user', messageId: mid() }],
    });
    expect(res.body).toMatchObject({ accepted: 0, suppressed: 1 });
  });

  it('refuses opting back in, and validates the body', async () => {
    await optOut('no-return');
    const back = await optOut('no-return', { type: 'optOut', enableOptOut: false });
    expect(back.status).toBe(409);
    expect(await json(back)).toMatchObject({ error: 'conflict' });
    const bad = await optOut('no-return', { type: 'subscribe', enableOptOut: true });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toBe('validation_failed');
    // Opting out twice is fine.
    expect((await optOut('no-return')).status).toBe(200);
    // A blank user id names nobody.
    const blank = await optOut('  ');
    expect(blank.status).toBe(400);
    expect((await json(blank)).error_description).toContain('params.userId');
  });

  it('names the offending field of a refused body', async () => {
    const cases: Array<[object, string]> = [
      [{ type: 'optOut' }, 'body.enableOptOut'],
      [{ type: 'optIn', enableOptOut: true }, 'body.type must be "optOut"'],
      [{ type: 'optOut', enableOptOut: 'yes' }, 'body.enableOptOut must be boolean'],
    ];
    for (const [body, named] of cases) {
      const res = await optOut('validated', body);
      expect(res.status).toBe(400);
      const answer = await json(res);
      expect(Object.keys(answer).sort()).toEqual(['error', 'error_description']);
      expect(answer.error).toBe('validation_failed');
      expect(answer.error_description).toContain(named);
      expect(answer.error_description).not.toBe('The request is not valid.');
    }
  });

  it('answers unknown paths under /profile-command in its own error format', async () => {
    for (const [method, path] of [
      ['GET', `/profile-command/v1/${SITE}/optOut/x`],
      ['PUT', `/profile-command/v1/${SITE}/zz`],
      ['DELETE', '/profile-command/v2/anything'],
    ] as const) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await json(res)).toEqual({
        error: 'not_found',
        error_description: expect.any(String),
      });
    }
    // The token endpoint under the same prefix is still the OAuth surface's.
    const noGrant = await fetch(`${server.url}/profile-command/v1/oauth2/token`, {
      method: 'POST',
    });
    expect(noGrant.status).toBe(401);
    expect((await json(noGrant)).error).toBe('invalid_client');
  });

  it('requires a privacy-scoped token of the environment the site key belongs to', async () => {
    const readOnly = await issueToken(server, ['read', 'write']);
    expect((await optOut('someone', undefined, readOnly)).status).toBe(403);
    const expired = await optOut('someone', undefined, 'not-a-token');
    expect(expired.status).toBe(401);
    expect(await json(expired)).toEqual({
      error: 'invalid_token',
      error_description: 'The access token is invalid or has expired',
    });
    expect((await optOut('someone', undefined, token, 'unknown-site')).status).toBe(404);
    const otherAdmin = await server.createKey(['admin'], 'other-org', 'main');
    const otherClient = (
      await server.request(
        'POST',
        '/v1/credentials',
        { kind: 'oauth_client', name: 'x', scopes: ['privacy'] },
        otherAdmin,
      )
    ).body;
    const otherToken = (
      await json(
        await fetch(
          `${server.url}/profile-command/v1/oauth2/token?grant_type=client_credentials&client_id=${otherClient.publicId}&client_secret=${otherClient.secret}`,
          { method: 'POST' },
        ),
      )
    ).access_token;
    expect((await optOut('someone', undefined, otherToken)).status).toBe(404);
  });

  it('accepts 100 user id updates per second and answers 429 beyond (frozen clock)', async () => {
    const frozen = Date.now();
    const still = await startTestServer({ now: () => frozen });
    await still.request('PUT', `/v1/surface-keys/profile-command/${SITE}`);
    const bearer = await issueToken(still, ['privacy']);
    const statuses: number[] = [];
    for (let i = 0; i < 102; i++) {
      const res = await fetch(`${still.url}/profile-command/v1/${SITE}/optOut/bulk-${i}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'optOut', enableOptOut: true }),
      });
      statuses.push(res.status);
      if (res.status === 429) expect(res.headers.get('retry-after')).toBe('1');
    }
    expect(statuses.slice(0, 100).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(100)).toEqual([429, 429]);
    await still.destroy();
  });
});
