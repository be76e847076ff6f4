import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pnauthinfo3 } from '../helpers/pnauthinfo.js';
import { startTestServer, type TestServer, tableCounts } from '../helpers/test-server.js';

// The 004 document's worked example.
const CLIENT = 'SanchezAssociates';
const USER = 'RickSanchez';
const KEY = 'SeemslikearareopportunityMorty!';
const ISSUED = '2015-08-10T20:11:00';
const EXAMPLE = `PNAUTHINFO3-HMAC-SHA256 Credential=${USER}/${ISSUED} Signature=Lbhe+fKoQPZhzUYWHMVADC4BhqtAMQkfAfpR6Wzbxe0=`;
const issuedMs = Date.parse(`${ISSUED}Z`);

let server: TestServer;
let clock = issuedMs;

beforeAll(async () => {
  server = await startTestServer({ now: () => clock });
  expect((await server.request('PUT', `/v1/surface-keys/mypreferences/${CLIENT}`)).status).toBe(
    204,
  );
  const user = await server.request('POST', '/v1/credentials', {
    kind: 'hmac_user',
    name: 'rick',
    scopes: ['read', 'write'],
    userId: USER,
    privateKey: KEY,
  });
  expect(user.status).toBe(201);
});
afterAll(() => server.destroy());

function sign(issued: string, client = CLIENT, key = KEY, user = USER) {
  return pnauthinfo3(client, user, key, issued);
}

async function call(method: string, path: string, authorization?: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (authorization) headers.authorization = authorization;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : null };
}

const profilePath = `/Profiles/v4/${CLIENT}/Profiles/userId:nobody`;

describe('MyPreferences (004) authentication over HTTP', () => {
  it("accepts the document's example signature through 14:59 of its window", async () => {
    for (const offset of [0, 14 * 60_000 + 59_000]) {
      clock = issuedMs + offset;
      const res = await call('GET', profilePath, EXAMPLE);
      // Authenticated: the profile simply does not exist.
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ Code: 'profile_not_found' });
    }
  });

  it('answers each 401 with the document message and a PNAUTHINFO3 challenge', async () => {
    const cases: Array<[number, string | undefined, string]> = [
      [
        issuedMs + 15 * 60_000 + 1_000,
        EXAMPLE,
        'The difference between the issued timestamp and the current time is too large',
      ],
      [issuedMs - 1_000, EXAMPLE, 'The specified date does not match an expected ISO 8601 format'],
      [issuedMs, undefined, 'Missing Authorization Header'],
      [issuedMs, 'PNAUTHINFO100-SHA256 Credential=a/b Signature=c', 'The scheme is invalid'],
      [issuedMs, EXAMPLE.replace('Lbhe', 'Lbhf'), 'Unable to authenticate request'],
      [issuedMs, EXAMPLE.replace(USER, 'MortySmith'), 'Unable to authenticate request'],
      [
        issuedMs,
        `PNAUTHINFO3-HMAC-SHA256 Credential=${USER}/${ISSUED} Signature=${'A'.repeat(9000)}`,
        'Unable to authenticate request',
      ],
    ];
    for (const [now, authorization, message] of cases) {
      clock = now;
      const res = await call('GET', profilePath, authorization);
      expect(res.status, message).toBe(401);
      expect(res.body.Message).toContain(message);
      expect(res.headers.get('www-authenticate')).toBe('PNAUTHINFO3 realm="tessera"');
    }
  });

  it('answers an unknown ClientId with a bare 404, case-sensitively', async () => {
    clock = issuedMs;
    for (const client of ['NoSuchClient', 'SANCHEZASSOCIATES']) {
      const res = await call(
        'GET',
        `/Profiles/v4/${client}/Profiles/userId:x`,
        sign(ISSUED, client),
      );
      expect(res.status).toBe(404);
      expect(res.text).toBe('');
    }
  });

  it('answers a path no route has in the dialect format', async () => {
    for (const [method, path] of [
      ['GET', `/Profiles/v4/${CLIENT}/Nothing`],
      ['DELETE', `/Profiles/v4/${CLIENT}/Profiles`],
    ] as const) {
      const res = await call(method, path, sign(ISSUED, CLIENT));
      expect(res.status, path).toBe(404);
      expect(JSON.parse(res.text)).toEqual({
        Message: `There is no ${method} endpoint at this path.`,
        Code: 'not_found',
      });
    }
  });

  it("does not count replays against the address's failed-authentication budget", async () => {
    // A client that signs once per second sends several writes under one signature: refused,
    // but not guesses at a credential, so the address must not be locked out of every surface.
    const strict = await startTestServer({
      now: () => clock,
      env: { TESSERA_FAILED_AUTH_PER_MINUTE: '3' },
    });
    try {
      await strict.request('PUT', `/v1/surface-keys/mypreferences/${CLIENT}`);
      await strict.request('POST', '/v1/credentials', {
        kind: 'hmac_user',
        name: 'rick',
        scopes: ['read', 'write'],
        userId: USER,
        privateKey: KEY,
      });
      clock = Date.parse('2026-11-22T11:00:30Z');
      const authorization = sign('2026-11-22T11:00:00Z');
      const post = () =>
        fetch(`${strict.url}/Profiles/v4/${CLIENT}/Profiles`, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json' },
          body: JSON.stringify({ AlternateIds: [{ Type: 'userId', Value: 'morty' }] }),
        });
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await post()).status);
      expect(statuses).toEqual([200, 401, 401, 401, 401, 401]);
      // Wrong keys still spend it.
      const guesses = [];
      for (let i = 0; i < 4; i++) {
        const guess = await fetch(`${strict.url}/Profiles/v4/${CLIENT}/Profiles/userId:morty`, {
          headers: { authorization: sign('2026-11-22T11:00:00Z', CLIENT, `wrong-${i}`) },
        });
        guesses.push(guess.status);
      }
      expect(guesses).toEqual([401, 401, 401, 429]);
    } finally {
      await strict.destroy();
    }
  });

  it('writes with a fresh signature and refuses the same signature replayed', async () => {
    clock = Date.parse('2026-11-22T10:00:30Z');
    const authorization = sign('2026-11-22T10:00:00Z');
    const body = {
      AlternateIds: [{ Type: 'userId', Value: 'summer' }],
      Traits: { name: 'Summer' },
    };
    const first = await call('POST', `/Profiles/v4/${CLIENT}/Profiles`, authorization, body);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      AlternateIds: [{ Type: 'userId', Value: 'summer' }],
      Traits: { name: 'Summer' },
    });
    const before = await tableCounts(server.storage);
    const replay = await call('POST', `/Profiles/v4/${CLIENT}/Profiles`, authorization, {
      ...body,
      Traits: { name: 'Evil' },
    });
    expect(replay.status).toBe(401);
    expect(await tableCounts(server.storage)).toEqual(before);

    // Reads may repeat a signature within its window.
    for (let i = 0; i < 2; i++) {
      const read = await call(
        'GET',
        `/Profiles/v4/${CLIENT}/Profiles/userId:summer`,
        authorization,
      );
      expect(read.body.Traits).toEqual({ name: 'Summer' });
    }
  });

  it('accepts an OAuth token of the same environment whose scope names this ClientId', async () => {
    clock = Date.now();
    const client = (
      await server.request('POST', '/v1/credentials', {
        kind: 'oauth_client',
        name: 'c',
        scopes: ['read'],
      })
    ).body;
    const token = async (scope: string) => {
      const res = await fetch(`${server.url}/oauth2/v1/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.publicId}:${client.secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
      });
      return ((await res.json()) as { access_token: string }).access_token;
    };
    const good = await call('GET', profilePath, `Bearer ${await token(`${CLIENT}/${USER}`)}`);
    expect(good.status).toBe(404);
    expect(good.body.Code).toBe('profile_not_found');
    const otherClient = await call(
      'GET',
      profilePath,
      `Bearer ${await token(`OtherCorp/${USER}`)}`,
    );
    expect(otherClient.status).toBe(403);
    const write = await call(
      'POST',
      `/Profiles/v4/${CLIENT}/Profiles`,
      `Bearer ${await token(`${CLIENT}/${USER}`)}`,
      {
        AlternateIds: [{ Type: 'userId', Value: 'x' }],
      },
    );
    expect(write.status).toBe(403);

    const otherAdmin = await server.createKey(['admin'], 'elsewhere', 'main');
    const foreign = (
      await server.request(
        'POST',
        '/v1/credentials',
        { kind: 'oauth_client', name: 'f', scopes: ['read'] },
        otherAdmin,
      )
    ).body;
    const foreignToken = await (
      await fetch(`${server.url}/oauth2/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: foreign.publicId,
          client_secret: foreign.secret,
        }).toString(),
      })
    ).json();
    const res = await call(
      'GET',
      profilePath,
      `Bearer ${(foreignToken as { access_token: string }).access_token}`,
    );
    expect(res.status).toBe(401);
  });

  it('refuses every MyPreferences route without a credential (generated from the route table)', async () => {
    clock = issuedMs;
    const routes = server.app.routeTable.filter((r) => r.surface === 'mypreferences');
    expect(routes.length).toBeGreaterThanOrEqual(2);
    for (const route of routes) {
      const path = route.url.replace(':clientId', CLIENT).replace(':profileId', 'userId:x');
      const res = await call(
        route.method,
        path,
        undefined,
        route.method === 'GET' ? undefined : {},
      );
      expect(res.status, `${route.method} ${route.url}`).toBe(401);
    }
  });
});

describe('surface keys', () => {
  it('binds a key to one environment only', async () => {
    const otherAdmin = await server.createKey(['admin'], 'rival', 'main');
    const res = await server.request(
      'PUT',
      `/v1/surface-keys/mypreferences/${CLIENT}`,
      undefined,
      otherAdmin,
    );
    expect(res.status).toBe(409);
    expect((await server.request('GET', '/v1/surface-keys')).body.data).toEqual([
      expect.objectContaining({ surface: 'mypreferences', key: CLIENT }),
    ]);
    expect(
      (
        await server.request(
          'DELETE',
          `/v1/surface-keys/mypreferences/${CLIENT}`,
          undefined,
          otherAdmin,
        )
      ).status,
    ).toBe(404);
  });
});
