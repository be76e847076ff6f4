import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, mid, startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
let clock = Date.now();
let client: { id: string; clientId: string; secret: string };

beforeAll(async () => {
  server = await startTestServer({ now: () => clock });
  client = await createClient(['read', 'write']);
});
afterAll(() => server.destroy());

async function createClient(scopes: string[], settings?: object) {
  const res = await server.request('POST', '/v1/credentials', {
    kind: 'oauth_client',
    name: 'backend',
    scopes,
    ...(settings ? { settings } : {}),
  });
  expect(res.status).toBe(201);
  return {
    id: res.body.id as string,
    clientId: res.body.publicId as string,
    secret: res.body.secret as string,
  };
}

function form(params: Record<string, string>) {
  return new URLSearchParams(params).toString();
}

async function token(
  path: string,
  init: {
    query?: Record<string, string>;
    body?: Record<string, string>;
    basic?: [string, string];
  } = {},
) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (init.basic)
    headers.authorization = `Basic ${Buffer.from(`${init.basic[0]}:${init.basic[1]}`).toString('base64')}`;
  const query = init.query ? `?${form(init.query)}` : '';
  const res = await fetch(`${server.url}${path}${query}`, {
    method: 'POST',
    headers,
    body: init.body ? form(init.body) : '',
  });
  return { status: res.status, headers: res.headers, body: await json(res) };
}

describe('OAuth2 client credentials', () => {
  it('issues tokens at the native, 004 and 000 paths, from query, form body or Basic', async () => {
    const grant = { grant_type: 'client_credentials' };
    const creds = { client_id: client.clientId, client_secret: client.secret };
    const answers = [
      await token('/v1/oauth2/token', { body: { ...grant, ...creds } }),
      await token('/oauth2/v1/token', { body: grant, basic: [client.clientId, client.secret] }),
      await token('/profile-command/v1/oauth2/token', { query: { ...grant, ...creds } }),
    ];
    for (const res of answers) {
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toMatchObject({
        token_type: 'Bearer',
        expires_in: 28_800,
        scope: 'read write',
      });
      expect(res.body.refresh_token).toBeUndefined();
      const use = await server.request('GET', '/v1/profiles', undefined, res.body.access_token);
      expect(use.status).toBe(200);
    }
  });

  it('answers RFC 6749 errors', async () => {
    const creds = { client_id: client.clientId, client_secret: client.secret };
    const both = await token('/v1/oauth2/token', {
      query: creds,
      body: { grant_type: 'client_credentials', ...creds },
    });
    expect(both).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const basicAndBody = await token('/v1/oauth2/token', {
      body: { grant_type: 'client_credentials', ...creds },
      basic: [client.clientId, client.secret],
    });
    expect(basicAndBody.body.error).toBe('invalid_request');

    const badSecret = await token('/v1/oauth2/token', {
      body: { grant_type: 'client_credentials', client_id: client.clientId, client_secret: 'nope' },
    });
    expect(badSecret).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(badSecret.headers.get('www-authenticate')).toBeNull();
    const badBasic = await token('/oauth2/v1/token', {
      body: { grant_type: 'client_credentials' },
      basic: [client.clientId, 'x'.repeat(5000)],
    });
    expect(badBasic).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(badBasic.headers.get('www-authenticate')).toMatch(/^Basic realm=/);

    const grant = await token('/v1/oauth2/token', { body: { grant_type: 'password', ...creds } });
    expect(grant).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
    const noGrant = await token('/v1/oauth2/token', { body: creds });
    expect(noGrant).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const scope = await token('/v1/oauth2/token', {
      body: { grant_type: 'client_credentials', scope: 'admin', ...creds },
    });
    expect(scope).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    expect(scope.headers.get('cache-control')).toBe('no-store');

    // A NUL in a form body or a Basic header: refused before any lookup (PostgreSQL text cannot
    // hold one, and the lookup answered 500 there).
    const nulInForm = await token('/v1/oauth2/token', {
      body: { grant_type: 'client_credentials', client_id: 'a\u0000b', client_secret: 'x' },
    });
    expect(nulInForm).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const nulInBasic = await token('/v1/oauth2/token', {
      body: { grant_type: 'client_credentials' },
      basic: ['a\u0000b', 'secret'],
    });
    expect(nulInBasic).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });

  it('narrows scopes on request and carries the 004 ClientId/UserId scope', async () => {
    const res = await token('/oauth2/v1/token', {
      body: { grant_type: 'client_credentials', scope: 'read ACME_CORP/John.Doe' },
      basic: [client.clientId, client.secret],
    });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('read ACME_CORP/John.Doe');
    const write = await server.request(
      'POST',
      '/v1/events',
      { events: [{ type: 'track', event: 'x', userId: 'u', messageId: mid() }] },
      res.body.access_token,
    );
    expect(write.status).toBe(403);
    expect(write.body.code).toBe('insufficient_scope');
    expect(write.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it('lets an admin client narrow its token to any scope admin includes', async () => {
    const admin = await createClient(['admin']);
    const res = await token('/oauth2/v1/token', {
      body: { grant_type: 'client_credentials', scope: 'privacy' },
      basic: [admin.clientId, admin.secret],
    });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('privacy');
    const read = await server.request('GET', '/v1/profiles', undefined, res.body.access_token);
    expect(read.status).toBe(403);
  });

  it("holds a token to its client's own rate limit", async () => {
    const limited = await createClient(['read'], { rateLimit: { ratePerSecond: 0.1, burst: 2 } });
    const res = await token('/oauth2/v1/token', {
      body: { grant_type: 'client_credentials' },
      basic: [limited.clientId, limited.secret],
    });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (await server.request('GET', '/v1/environment', undefined, res.body.access_token)).status,
      );
    }
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('expires tokens after the client TTL (fake clock) with 401 invalid_token', async () => {
    const shortLived = await createClient(['read'], { tokenTtlSeconds: 600 });
    const res = await token('/v1/oauth2/token', {
      body: {
        grant_type: 'client_credentials',
        client_id: shortLived.clientId,
        client_secret: shortLived.secret,
      },
    });
    expect(res.body.expires_in).toBe(600);
    const accessToken = res.body.access_token;
    expect((await server.request('GET', '/v1/profiles', undefined, accessToken)).status).toBe(200);
    clock += 601_000;
    try {
      const expired = await server.request('GET', '/v1/profiles', undefined, accessToken);
      expect(expired.status).toBe(401);
      expect(expired.body.code).toBe('invalid_token');
      expect(expired.headers.get('www-authenticate')).toBe(
        'Bearer realm="tessera", error="invalid_token"',
      );
    } finally {
      clock = Date.now();
    }
  });

  it('revokes the client and its tokens at once', async () => {
    const doomed = await createClient(['read']);
    const res = await token('/v1/oauth2/token', {
      body: {
        grant_type: 'client_credentials',
        client_id: doomed.clientId,
        client_secret: doomed.secret,
      },
    });
    const accessToken = res.body.access_token;
    expect((await server.request('GET', '/v1/profiles', undefined, accessToken)).status).toBe(200);
    expect((await server.request('DELETE', `/v1/credentials/${doomed.id}`)).status).toBe(204);
    expect((await server.request('GET', '/v1/profiles', undefined, accessToken)).body.code).toBe(
      'invalid_token',
    );
    const again = await token('/v1/oauth2/token', {
      body: {
        grant_type: 'client_credentials',
        client_id: doomed.clientId,
        client_secret: doomed.secret,
      },
    });
    expect(again.body.error).toBe('invalid_client');
  });

  it('keeps a token to its own environment, and refuses tampered tokens', async () => {
    const res = await token('/v1/oauth2/token', {
      body: {
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.secret,
      },
    });
    const created = await server.request('POST', '/v1/profiles/userId:oauth-owner/events', {
      events: [{ type: 'track', event: 'x', messageId: mid() }],
    });
    const otherAdmin = await server.createKey(['admin'], 'default', 'elsewhere');
    const other = await server.request(
      'POST',
      '/v1/credentials',
      { kind: 'oauth_client', name: 'o', scopes: ['read'] },
      otherAdmin,
    );
    const otherToken = await token('/v1/oauth2/token', {
      body: {
        grant_type: 'client_credentials',
        client_id: other.body.publicId,
        client_secret: other.body.secret,
      },
    });
    const id = created.body.profile.id;
    expect(
      (await server.request('GET', `/v1/profiles/${id}`, undefined, res.body.access_token)).status,
    ).toBe(200);
    expect(
      (await server.request('GET', `/v1/profiles/${id}`, undefined, otherToken.body.access_token))
        .status,
    ).toBe(404);

    const [header, payload, signature] = res.body.access_token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, scope: 'admin' })).toString('base64url');
    for (const bad of [
      `${header}.${forged}.${signature}`,
      `${header}.${payload}.`,
      'a.b.c',
      'x'.repeat(10_000),
    ]) {
      const answer = await server.request('GET', '/v1/credentials', undefined, bad);
      expect(answer.status).toBe(401);
      expect(answer.body.code).toBe('invalid_token');
    }
  });
});
