import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.destroy());

describe('platform', () => {
  it('echoes a safe x-request-id and makes one up otherwise', async () => {
    const given = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const unsafe = await fetch(`${server.url}/healthz`, {
      headers: { 'x-request-id': 'evil\tline' },
    });
    expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const missing = await fetch(`${server.url}/v1/profiles`);
    expect(missing.status).toBe(401);
    const id = missing.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await json(missing)).requestId).toBe(id);
  });

  it('answers /healthz and /readyz', async () => {
    expect(await json(await fetch(`${server.url}/healthz`))).toEqual({ status: 'ok' });
    expect(await json(await fetch(`${server.url}/readyz`))).toEqual({ status: 'ready' });
  });

  it('publishes an OpenAPI 3.1 document generated from the routes, and browsable docs', async () => {
    const spec = await json(await fetch(`${server.url}/openapi.json`));
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/v1/events',
        '/v1/profiles/{ref}',
        '/v1/profiles/{ref}/events',
        '/v1/profiles',
      ]),
    );
    expect(spec.paths['/v1/profiles/{ref}/events'].post.requestBody).toBeDefined();
    const docs = await fetch(`${server.url}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });
});
