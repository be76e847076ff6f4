import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { bodyShare, LARGE_BODY_BYTES, registerBodyAdmission } from './body-admission.js';
import { registerCompressedBodies } from './compressed-body.js';

/** A server whose `POST /hold/:name` handler runs until the test lets that name go. */
async function holdingServer(budgetBytes: number) {
  const app = Fastify({ forceCloseConnections: true });
  // `x-vanish`: the connection is gone by the time the body has been parsed.
  app.addHook('preValidation', (request, reply, done) => {
    if (!request.headers['x-vanish']) return done();
    reply.raw.once('close', () => done());
    request.raw.socket.destroy();
  });
  registerBodyAdmission(app, budgetBytes);
  // As in the surfaces: registered after, and it removes a gzip body's Content-Length.
  registerCompressedBodies(app, 1_000_000);
  const started: string[] = [];
  const gates = new Map<string, () => void>();
  app.post<{ Params: { name: string } }>('/hold/:name', async (request) => {
    started.push(request.params.name);
    await new Promise<void>((resolve) => gates.set(request.params.name, resolve));
    return { done: request.params.name };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const post = (name: string, bytes: number, signal?: AbortSignal, vanish = false) =>
    fetch(`http://127.0.0.1:${port}/hold/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(vanish ? { 'x-vanish': '1' } : {}) },
      body: JSON.stringify({ pad: 'x'.repeat(bytes) }),
      signal,
    });
  /** About `bytes` of gzip (random data does not compress). */
  const postGzip = (name: string, bytes: number) =>
    fetch(`http://127.0.0.1:${port}/hold/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ pad: randomBytes(bytes).toString('base64') })),
    });
  const until = async (check: () => boolean) => {
    while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  const release = async (name: string) => {
    await until(() => gates.has(name));
    gates.get(name)!();
  };
  return { app, port, started, post, postGzip, until, release };
}

/** Long enough for a request the hook let through to reach its handler on loopback. */
const SETTLE_MS = 150;
const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

type Server = Awaited<ReturnType<typeof holdingServer>>;

/** Two bodies that do not fit the budget together: the second starts once the first is answered. */
async function expectSecondWaitsForFirst(
  server: Server,
  send: (name: string) => Promise<Response>,
) {
  const first = send('first');
  await server.until(() => server.started.includes('first'));
  const second = send('second');
  await settle();
  expect(server.started).toEqual(['first']);
  await server.release('first');
  expect((await first).status).toBe(200);
  await server.until(() => server.started.includes('second'));
  await server.release('second');
  expect((await second).status).toBe(200);
}

describe('registerBodyAdmission', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('holds a large body while earlier ones use the budget, and lets it in when one is answered', async () => {
    const server = await holdingServer(60_000);
    app = server.app;
    await expectSecondWaitsForFirst(server, (name) => server.post(name, 40_000));
  });

  it('lets small bodies pass while large ones hold the whole budget', async () => {
    const server = await holdingServer(60_000);
    app = server.app;
    const large = server.post('large', 100_000);
    await server.until(() => server.started.includes('large'));
    const small = server.post('small', 1_000);
    await server.until(() => server.started.includes('small'));
    await server.release('small');
    await server.release('large');
    expect((await small).status).toBe(200);
    expect((await large).status).toBe(200);
  });

  it('holds a gzip body by its compressed length, which decompression removes from the headers', async () => {
    const server = await holdingServer(60_000);
    app = server.app;
    await expectSecondWaitsForFirst(server, (name) => server.postGzip(name, 30_000));
  });

  it('holds nothing for a body that is still arriving', async () => {
    const server = await holdingServer(60_000);
    app = server.app;
    // Announces 50 KB and sends 100 bytes of it: a slow (or hostile) client.
    const slow = connect(server.port, '127.0.0.1');
    slow.on('error', () => {});
    await new Promise((resolve) => slow.once('connect', resolve));
    slow.write(
      'POST /hold/slow HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n' +
        `content-length: 50000\r\n\r\n{"pad":"${'x'.repeat(90)}`,
    );
    const fast = server.post('fast', 50_000);
    await server.until(() => server.started.includes('fast'));
    await server.release('fast');
    expect((await fast).status).toBe(200);
    slow.destroy();
  });

  it('takes no share for a connection that closed before its body was worked on', async () => {
    const server = await holdingServer(60_000);
    app = server.app;
    await expect(server.post('vanished', 40_000, undefined, true)).rejects.toThrow();
    const next = server.post('next', 40_000);
    await server.until(() => server.started.includes('next'));
    await server.release('next');
    expect((await next).status).toBe(200);
    expect(server.started).toEqual(['next']);
  });

  it("gives a closed connection's share back, so the next body gets in", async () => {
    const server = await holdingServer(60_000);
    app = server.app;
    const abort = new AbortController();
    const abandoned = server.post('abandoned', 40_000, abort.signal).catch(() => 'aborted');
    await server.until(() => server.started.includes('abandoned'));
    const next = server.post('next', 40_000);
    await settle();
    expect(server.started).toEqual(['abandoned']);
    abort.abort();
    expect(await abandoned).toBe('aborted');
    await server.until(() => server.started.includes('next'));
    await server.release('next');
    expect((await next).status).toBe(200);
    await server.release('abandoned');
  });
});

describe('bodyShare', () => {
  it('is 0 without a body or for a small one, the length for a large one, at most the budget', () => {
    expect(bodyShare({}, 100_000)).toBe(0);
    expect(bodyShare({ 'content-length': String(LARGE_BODY_BYTES - 1) }, 100_000)).toBe(0);
    expect(bodyShare({ 'content-length': '50000' }, 100_000)).toBe(50_000);
    expect(bodyShare({ 'content-length': '500000' }, 100_000)).toBe(100_000);
    expect(bodyShare({ 'content-length': 'junk' }, 100_000)).toBe(0);
    // Unknown length: it may be as large as the body limit, so it is worked on alone.
    expect(bodyShare({ 'transfer-encoding': 'chunked' }, 100_000)).toBe(100_000);
  });
});
