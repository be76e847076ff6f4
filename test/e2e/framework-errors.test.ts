import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.destroy());

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON answers
  body: any;
}

/** A request with its path sent byte for byte (fetch would normalize a malformed one). */
function raw(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : null;
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const BAD_ENCODINGS = ['%ED%A0%80', '%zz', '%', '%C0%AF'];
const LONG = 'a'.repeat(5_000);

describe('paths the router refuses answer in the format of their surface', () => {
  it('native /v1: a 400 problem+json naming the path, for every malformed percent-encoding', async () => {
    for (const bad of BAD_ENCODINGS) {
      const res = await raw(server.url, 'GET', `/v1/profiles/userId:${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({
        status: 400,
        code: 'validation_failed',
        errors: [{ field: 'path' }],
      });
      expect(res.body.title).toMatch(/percent-encoding/);
      expect(res.text).not.toContain('FST_ERR');
      expect(res.text).not.toContain('userId:');
    }
  });

  it('native /v1: an over-long path parameter is a 400 that does not echo it', async () => {
    const res = await raw(server.url, 'GET', `/v1/profiles/${LONG}`);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'path' }] });
    expect(res.body.title).toMatch(/longer than 300 characters/);
    expect(res.text.length).toBeLessThan(1_000);
  });

  it('keeps the request id of the refused request', async () => {
    const res = await raw(server.url, 'GET', '/v1/profiles/%zz', { 'x-request-id': 'bad-url-1' });
    expect(res.headers['x-request-id']).toBe('bad-url-1');
    expect(res.body.requestId).toBe('bad-url-1');
  });

  it('profiles read /track: {error: {code, message}}', async () => {
    for (const path of [
      '/track/c1/a1/b1/v1/profiles/userId:%zz/traits',
      `/track/c1/a1/b1/v1/profiles/${LONG}/traits`,
    ]) {
      const res = await raw(server.url, 'GET', path);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: { code: 'invalid_request_error', message: expect.stringMatching(/^path /) },
      });
      expect(res.text.length).toBeLessThan(1_000);
    }
  });

  it('Experience API /v2: {message, data: {}, error: {code}}, readable from other origins', async () => {
    for (const path of [
      '/v2/organizations/%ED%A0%80/environments/main/profiles/p1',
      `/v2/organizations/${LONG}/environments/main/profiles/p1`,
    ]) {
      const res = await raw(server.url, 'GET', path);
      expect(res.status).toBe(400);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.body).toEqual({
        message: expect.stringContaining('path'),
        data: {},
        error: { code: 'ERR_INVALID_DATA' },
      });
      expect(res.text.length).toBeLessThan(1_000);
    }
  });

  it('profile management /v4, /crm: the Spring body, without the refused path', async () => {
    for (const path of ['/v4/clients/%zz', '/crm/v1/%C0%AF', `/v4/clients/${LONG}`]) {
      const res = await raw(server.url, 'GET', path);
      expect(res.status, path).toBe(400);
      expect(res.body).toMatchObject({
        status: 400,
        error: 'Bad Request',
        code: 'validation_failed',
        message: expect.stringMatching(/^path /),
        errors: [{ field: 'path' }],
      });
      expect(res.body.timestamp).toEqual(expect.any(String));
      expect(res.text).not.toContain('%zz');
      expect(res.text.length).toBeLessThan(1_000);
    }
  });

  it('MyPreferences /Profiles/v4: {Message}', async () => {
    for (const path of [
      '/Profiles/v4/C1/Profiles/%zz',
      `/Profiles/v4/C1/Profiles/${LONG}`,
      '/Profiles/v4/%zz',
    ]) {
      const res = await raw(server.url, 'GET', path);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        Message: expect.any(String),
        Code: 'validation_failed',
        Errors: [{ field: 'path' }],
      });
      expect(res.text.length).toBeLessThan(1_000);
    }
  });

  it('Algonomy /profile-command: {error, error_description} naming the path', async () => {
    for (const path of [
      '/profile-command/v1/site1/optOut/%zz',
      `/profile-command/v1/s/optOut/${LONG}`,
    ]) {
      const res = await raw(server.url, 'PUT', path, { 'content-type': 'application/json' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: 'validation_failed',
        error_description: expect.stringMatching(/^path /),
      });
    }
  });

  it('paths no surface claims answer like the root: problem+json', async () => {
    for (const path of ['/%zz', '/docs/%ED%A0%80']) {
      const res = await raw(server.url, 'GET', path);
      expect(res.status, path).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'path' }] });
    }
  });

  it('refuses a NUL (%00) in the path or query before any lookup, in the surface format', async () => {
    const cases: Array<[string, (body: Record<string, unknown>) => unknown]> = [
      ['/Profiles/v4/a%00b/Profiles', (b) => b.Code],
      [
        '/v2/organizations/a%00b/environments/main/profiles/x',
        (b) => (b.error as { code: string }).code,
      ],
      [
        '/v1/oauth2/token?grant_type=client_credentials&client_id=a%00b&client_secret=x',
        (b) => b.error === 'invalid_request' && 'validation_failed',
      ],
      ['/v1/change-events?profileId=a%00b', (b) => b.code],
    ];
    for (const [path, code] of cases) {
      const res = await raw(server.url, path.startsWith('/v1/oauth2') ? 'POST' : 'GET', path);
      expect(res.status, path).toBe(400);
      expect(String(code(res.body)), JSON.stringify(res.body)).toMatch(
        /validation_failed|ERR_INVALID_DATA/,
      );
    }
  });

  it('leaves well-formed paths alone', async () => {
    const res = await raw(server.url, 'GET', '/v1/profiles/userId:%C3%A9t%C3%A9', {
      authorization: `Bearer ${server.adminKey}`,
    });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('profile_not_found');
  });
});

describe('a client that hangs up in the middle of its body', () => {
  // The first bytes of a body: JSON as sent, or the start of a gzip stream (its 10-byte header).
  const starts: Array<[string, string[], Buffer]> = [
    ['as sent', [], Buffer.from('{"')],
    ['gzipped', ['Content-Encoding: gzip'], gzipSync('{"events":[]}').subarray(0, 12)],
  ];
  it.each(starts)(
    '%s, is a client error: no error-level log line, no stack, no internal_error',
    async (_name, extraHeaders, start) => {
      const logged = await startTestServer({ env: { LOG_LEVEL: 'warn' } });
      // Pino writes every line of the app's loggers (children included) to one stream.
      const log = logged.app.log as unknown as Record<symbol, { write(line: string): boolean }>;
      const streamKey = Object.getOwnPropertySymbols(log).find(
        (s) => s.description === 'pino.stream',
      );
      expect(streamKey).toBeDefined();
      const stream = log[streamKey!]!;
      const lines: Array<{ level: number; msg: string; err?: unknown }> = [];
      stream.write = (line: string) => {
        lines.push(JSON.parse(line));
        return true;
      };
      // Raised once listening, so that the start-up lines stay out of the test's output.
      logged.app.log.level = 'debug';
      try {
        const { hostname, port } = new URL(logged.url);
        await new Promise<void>((resolve, reject) => {
          const socket = connect(Number(port), hostname, () => {
            socket.write(
              [
                'POST /v1/events HTTP/1.1',
                'Host: tessera',
                `Authorization: Bearer ${logged.adminKey}`,
                'Content-Type: application/json',
                ...extraHeaders,
                'Content-Length: 100',
                '',
                '',
              ].join('\r\n'),
            );
            socket.write(start);
            setTimeout(() => {
              socket.destroy();
              resolve();
            }, 100);
          });
          socket.on('error', reject);
        });
        const deadline = Date.now() + 5_000;
        const aborted = () => lines.find((l) => /whole body|unhandled error/.test(l.msg));
        while (!aborted() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        expect(aborted()).toMatchObject({
          level: 20,
          msg: 'client closed the connection before sending the whole body',
        });
        expect(lines.filter((l) => l.level >= 50)).toEqual([]);
        expect(lines.some((l) => l.err !== undefined)).toBe(false);
      } finally {
        await logged.destroy();
      }
    },
  );
});
