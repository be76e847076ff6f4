import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mid, startTestServer, type TestServer, tableCounts } from '../helpers/test-server.js';

let server: TestServer;
let profileId: string;
beforeAll(async () => {
  server = await startTestServer();
  const res = await server.request('POST', '/v1/profiles/userId:owner/events', {
    events: [{ type: 'identify', messageId: mid(), traits: { secret: 'mine' } }],
  });
  profileId = res.body.profile.id;
});
afterAll(() => server.destroy());

const ZERO_ID = '01900000-0000-7000-8000-000000000000';

/** Every authenticated route, from the app's own route table, with its params filled in. */
function routes() {
  return server.app.routeTable
    .filter((route) => route.surface === 'native')
    .map((route) => ({
      ...route,
      path: route.url
        .replace(':ref', profileId)
        .replace(':mergeId', ZERO_ID)
        .replace(':id', ZERO_ID)
        .replace(':surface', 'mypreferences')
        .replace(':key', 'SomeClient'),
      body: route.method === 'GET' || route.method === 'DELETE' ? undefined : { events: [] },
    }));
}

describe('every native route requires the right credential', () => {
  it('has a route table that covers the whole native API', () => {
    const table = routes().map((r) => `${r.method} ${r.url}`);
    expect(table).toEqual(
      expect.arrayContaining([
        'POST /v1/events',
        'POST /v1/profiles/:ref/events',
        'GET /v1/profiles/:ref',
        'DELETE /v1/profiles/:ref',
        'POST /v1/credentials',
      ]),
    );
    expect(table.every((entry) => entry.includes('/v1/'))).toBe(true);
  });

  it('answers 401 with no credential, a malformed one, or an unknown one — and changes nothing', async () => {
    const before = await tableCounts(server.storage);
    const unknownKey = `tsk_${'0'.repeat(32)}_${'A'.repeat(43)}`;
    for (const route of routes()) {
      for (const [key, code] of [
        [null, 'unauthorized'],
        [unknownKey, 'unauthorized'],
        // Anything else after Bearer is taken for an OAuth token (RFC 6750).
        ['garbage', 'invalid_token'],
      ] as const) {
        const res = await server.request(route.method, route.path, route.body, key);
        expect(res.status, `${route.method} ${route.path} with ${key}`).toBe(401);
        expect(res.body.code).toBe(code);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="tessera"/);
      }
    }
    expect(await tableCounts(server.storage)).toEqual(before);
  });

  it('answers 403 when the credential lacks the scope — and changes nothing', async () => {
    const readOnly = await server.createKey(['read']);
    const writeOnly = await server.createKey(['write']);
    const before = await tableCounts(server.storage);
    for (const route of routes()) {
      for (const [scope, key] of [
        ['read', readOnly],
        ['write', writeOnly],
      ] as const) {
        if (scope === route.scope) continue;
        const res = await server.request(route.method, route.path, route.body, key);
        expect(res.status, `${route.method} ${route.path} with ${scope}`).toBe(403);
        expect(res.body.code).toBe('insufficient_scope');
      }
    }
    expect(await tableCounts(server.storage)).toEqual(before);
  });

  it("never reaches another environment's profiles", async () => {
    const otherAdmin = await server.createKey(['admin'], 'other-org', 'main');
    for (const path of [
      `/v1/profiles/${profileId}`,
      '/v1/profiles/userId:owner',
      `/v1/profiles/${profileId}/events`,
    ]) {
      const res = await server.request('GET', path, undefined, otherAdmin);
      expect(res.status, path).toBe(404);
    }
    expect((await server.request('GET', '/v1/profiles', undefined, otherAdmin)).body.data).toEqual(
      [],
    );
    const del = await server.request('DELETE', `/v1/profiles/${profileId}`, undefined, otherAdmin);
    expect(del.status).toBe(404);
    // Events sent with the other key to the same userId build a separate profile there.
    const write = await server.request(
      'POST',
      '/v1/profiles/userId:owner/events',
      {
        events: [{ type: 'identify', messageId: mid(), traits: { secret: 'theirs' } }],
      },
      otherAdmin,
    );
    expect(write.body.profile.id).not.toBe(profileId);
    expect((await server.request('GET', '/v1/profiles/userId:owner')).body.traits).toEqual({
      secret: 'mine',
    });
  });

  it('accepts the key as Bearer, x-api-key or auth-token, and stops accepting it once revoked', async () => {
    const created = await server.request('POST', '/v1/credentials', {
      name: 'temp',
      scopes: ['read'],
    });
    expect(created.status).toBe(201);
    const { id, secret: key } = created.body;
    for (const header of ['authorization', 'x-api-key', 'auth-token']) {
      const value = header === 'authorization' ? `Bearer ${key}` : key;
      const res = await fetch(`${server.url}/v1/profiles/${profileId}`, {
        headers: { [header]: value },
      });
      expect(res.status, header).toBe(200);
    }
    const listed = (await server.request('GET', '/v1/credentials')).body.data;
    expect(listed.find((k: { id: string }) => k.id === id)).toMatchObject({
      name: 'temp',
      scopes: ['read'],
    });
    expect(JSON.stringify(listed)).not.toContain(key.split('_').slice(2).join('_'));
    expect((await server.request('DELETE', `/v1/credentials/${id}`)).status).toBe(204);
    expect((await server.request('GET', `/v1/profiles/${profileId}`, undefined, key)).status).toBe(
      401,
    );
  });

  it('stores API keys hashed: no secret appears in the database file', async () => {
    const created = await server.request('POST', '/v1/credentials', {
      name: 'scan',
      scopes: ['read'],
    });
    // tsk_<id>_<secret>: the secret is everything after the second underscore (it may hold `_`).
    const secret = created.body.secret.split('_').slice(2).join('_');
    const rows = await server.storage.db.selectFrom('credential_secrets').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(secret);
  });
});
