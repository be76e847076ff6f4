import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedBytes } from '../helpers/test-database.js';
import { json, mid, startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.destroy());

async function create(body: object, key?: string) {
  const res = await server.request('POST', '/v1/credentials', body, key);
  expect(res.status).toBe(201);
  return res.body;
}

describe('rotation and revocation', () => {
  it('keeps the old key working during the grace period after a rotation', async () => {
    const original = await create({ name: 'rotating', scopes: ['read'] });
    const rotated = await server.request('POST', `/v1/credentials/${original.id}/rotate`, {});
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(original.secret);
    expect(rotated.body.secrets).toHaveLength(2);
    expect(rotated.body.secrets[0].expiresAt).not.toBeNull();
    for (const key of [original.secret, rotated.body.secret]) {
      expect((await server.request('GET', '/v1/profiles', undefined, key)).status).toBe(200);
    }
    // Revocation ends every secret of the credential at once.
    await server.request('DELETE', `/v1/credentials/${original.id}`);
    for (const key of [original.secret, rotated.body.secret]) {
      expect((await server.request('GET', '/v1/profiles', undefined, key)).status).toBe(401);
    }
  });

  it('ends the old secret at once when the grace period is zero', async () => {
    const strict = await startTestServer({ env: { TESSERA_ROTATION_GRACE_SECONDS: '0' } });
    const original = (
      await strict.request('POST', '/v1/credentials', { name: 'k', scopes: ['read'] })
    ).body;
    // Used once first: the process caches the key, and the rotation must drop that.
    expect((await strict.request('GET', '/v1/profiles', undefined, original.secret)).status).toBe(
      200,
    );
    const rotated = (await strict.request('POST', `/v1/credentials/${original.id}/rotate`, {}))
      .body;
    expect((await strict.request('GET', '/v1/profiles', undefined, original.secret)).status).toBe(
      401,
    );
    expect((await strict.request('GET', '/v1/profiles', undefined, rotated.secret)).status).toBe(
      200,
    );
    await strict.destroy();
  });

  it("cannot rotate or revoke another environment's credential", async () => {
    const mine = await create({ name: 'mine', scopes: ['read'] });
    const otherAdmin = await server.createKey(['admin'], 'someone-else', 'main');
    expect(
      (await server.request('POST', `/v1/credentials/${mine.id}/rotate`, {}, otherAdmin)).status,
    ).toBe(404);
    expect(
      (await server.request('DELETE', `/v1/credentials/${mine.id}`, undefined, otherAdmin)).status,
    ).toBe(404);
    expect((await server.request('GET', '/v1/profiles', undefined, mine.secret)).status).toBe(200);
  });

  it('gives write keys the write scope only, and the native API refuses them', async () => {
    // Asking a write key or a publishable key for more is refused, not quietly narrowed.
    for (const [kind, scopes] of [
      ['write_key', ['admin']],
      ['publishable_key', ['read', 'admin']],
    ] as const) {
      const refused = await server.request('POST', '/v1/credentials', { kind, name: 'x', scopes });
      expect(refused.status, kind).toBe(400);
      expect(refused.body.errors[0].field).toBe('scopes');
    }
    const writeKey = await create({ kind: 'write_key', name: 'tracking' });
    expect(writeKey.secret).toMatch(/^twk_/);
    expect(writeKey.scopes).toEqual(['write']);
    expect((await create({ name: 'plain' })).scopes).toEqual(['read']);
    const basic = `Basic ${Buffer.from(`${writeKey.secret}:`).toString('base64')}`;
    const res = await fetch(`${server.url}/v1/profiles`, { headers: { authorization: basic } });
    expect(res.status).toBe(401);
  });

  it('creates one HMAC user of a userId when several ask at once, and refuses the others', async () => {
    const body = {
      kind: 'hmac_user',
      name: 'h',
      scopes: ['read'],
      userId: 'raced-user',
      privateKey: '0123456789abcdef0123',
    };
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => server.request('POST', '/v1/credentials', body)),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([201, ...Array(9).fill(400)]);
  });
});

describe('secrets at rest', () => {
  it('keeps no key, client secret or HMAC private key in plain text in the database files', async () => {
    const apiKey = await create({ name: 'a', scopes: ['read'] });
    const client = await create({ kind: 'oauth_client', name: 'c', scopes: ['read'] });
    const hmac = await create({
      kind: 'hmac_user',
      name: 'h',
      scopes: ['read'],
      userId: 'RickSanchez',
      privateKey: 'SeemslikearareopportunityMorty!',
    });
    expect(hmac.secret).toBe('SeemslikearareopportunityMorty!');
    expect(hmac.publicId).toBe('RickSanchez');
    await server.stop();
    const bytes = await storedBytes(server.dir);
    expect(bytes.length).toBeGreaterThan(0);
    for (const secret of [
      apiKey.secret.split('_').slice(2).join('_'),
      client.secret,
      hmac.secret,
    ]) {
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
    }
    server = await startTestServer({ dir: server.dir });
  });
});

describe('malformed credentials never cause a 500', () => {
  it('answers 401 for keys and tokens of any length or shape', async () => {
    const shapes = [
      '',
      'tsk_',
      `tsk_${'f'.repeat(32)}_short`,
      `tsk_${'z'.repeat(32)}_${'A'.repeat(43)}`,
      'x'.repeat(8000),
      '../../etc',
      '%00',
    ];
    for (const shape of shapes) {
      for (const header of ['authorization', 'x-api-key', 'auth-token']) {
        const value = header === 'authorization' ? `Bearer ${shape}` : shape;
        const res = await fetch(`${server.url}/v1/profiles`, { headers: { [header]: value } });
        expect(res.status, `${header}: ${shape.slice(0, 20)}`).toBe(401);
      }
    }
    const basic = await fetch(`${server.url}/v1/profiles`, {
      headers: { authorization: 'Basic !!!not-base64' },
    });
    expect(basic.status).toBe(401);
  });
});

describe('rate limits', () => {
  it('refuses a credential past its token bucket with 429, Retry-After and RateLimit headers', async () => {
    const limited = await create({
      name: 'slow',
      scopes: ['read'],
      settings: { rateLimit: { ratePerSecond: 0.01, burst: 3 } },
    });
    const other = await create({ name: 'other', scopes: ['read'] });
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push(await server.request('GET', '/v1/profiles', undefined, limited.secret));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers[0]!.headers.get('ratelimit-limit')).toBe('3');
    expect(answers[2]!.headers.get('ratelimit-remaining')).toBe('0');
    const refused = answers[3]!;
    expect(refused.body.code).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.headers.get('ratelimit-policy')).toBe('3;w=300');
    // Another credential has its own bucket.
    expect((await server.request('GET', '/v1/profiles', undefined, other.secret)).status).toBe(200);
  });

  it('throttles failed authentications per address without touching the real key', async () => {
    const strict = await startTestServer({ env: { TESSERA_FAILED_AUTH_PER_MINUTE: '5' } });
    const statuses = [];
    for (let i = 0; i < 7; i++) {
      statuses.push(
        (
          await strict.request(
            'GET',
            '/v1/profiles',
            undefined,
            `tsk_${'0'.repeat(32)}_${'B'.repeat(43)}`,
          )
        ).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const limitedRes = await strict.request('GET', '/v1/profiles', undefined, 'garbage');
    expect(limitedRes.body.code).toBe('rate_limited');
    expect(limitedRes.headers.get('retry-after')).not.toBeNull();
    expect(limitedRes.headers.get('ratelimit-limit')).toBe('5');
    expect(limitedRes.headers.get('ratelimit-remaining')).toBe('0');
    expect(limitedRes.headers.get('ratelimit-policy')).toBe('5;w=60');
    await strict.destroy();
  });

  it('limits the token endpoint per address (burst 20), in its own error format (frozen clock)', async () => {
    const frozen = Date.now();
    const still = await startTestServer({ now: () => frozen });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 22; i++) {
      last = await fetch(`${still.url}/v1/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=a&client_secret=b',
      });
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    expect(await json(last!)).toMatchObject({ error: 'rate_limited' });
    expect(last!.headers.get('retry-after')).not.toBeNull();
    await still.destroy();
  });

  it('shares buckets between Tessera processes through Redis', async () => {
    const prefix = `tessera-test-${process.pid}-${Date.now()}:`;
    const env = { REDIS_URL: 'redis://127.0.0.1:6379', TESSERA_REDIS_PREFIX: prefix };
    const a = await startTestServer({ env });
    const b = await startTestServer({ env, dir: a.dir });
    const key = (
      await a.request('POST', '/v1/credentials', {
        name: 'shared',
        scopes: ['read'],
        settings: { rateLimit: { ratePerSecond: 0.01, burst: 4 } },
      })
    ).body.secret;
    const statuses = [];
    for (const s of [a, b, a, b, a, b])
      statuses.push((await s.request('GET', '/v1/profiles', undefined, key)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    await b.stop();
    await a.destroy();
  });
});

describe('compressed bodies', () => {
  it('accepts gzip event bodies and caps their decompressed size', async () => {
    const body = JSON.stringify({ events: [{ type: 'track', event: 'Zipped', messageId: mid() }] });
    const ok = await fetch(`${server.url}/v1/profiles/userId:zip/events`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${server.adminKey}`,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      body: gzipSync(body),
    });
    expect(ok.status).toBe(200);
    const bomb = gzipSync(Buffer.from(`{"events":["${'a'.repeat(5_000_000)}"]}`));
    expect(bomb.length).toBeLessThan(100_000);
    const refused = await fetch(`${server.url}/v1/profiles/userId:zip/events`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${server.adminKey}`,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      body: bomb,
    });
    expect(refused.status).toBe(413);
    const brotli = await fetch(`${server.url}/v1/profiles/userId:zip/events`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${server.adminKey}`,
        'content-type': 'application/json',
        'content-encoding': 'br',
      },
      body: 'xx',
    });
    expect(brotli.status).toBe(415);
  });
});
