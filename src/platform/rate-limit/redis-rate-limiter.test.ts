import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RedisRateLimiter } from './redis-rate-limiter.js';

// Against the real local Redis, on Redis time. The arithmetic itself is pinned down on a fake
// clock in rate-limiter-contract.test.ts; these cover what only a shared store can get wrong.

const REDIS_URL = 'redis://127.0.0.1:6379';
const API = { ratePerSecond: 100, burst: 500 };
/** Refills so slowly that no token comes back while a test runs. */
const FROZEN = { ratePerSecond: 0.001, burst: 500 };

let prefix: string;
const clients: Redis[] = [];

async function connect(): Promise<Redis> {
  const client = new Redis(REDIS_URL);
  clients.push(client);
  await client.ping();
  return client;
}

beforeEach(() => {
  prefix = `tessera:test:${randomUUID()}:`;
});

afterEach(async () => {
  const [admin] = clients;
  if (admin) {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
  }
  await Promise.all(clients.splice(0).map((client) => client.quit()));
});

describe('RedisRateLimiter', () => {
  it('refills on Redis time', async () => {
    const limiter = new RedisRateLimiter({ redis: await connect(), prefix });
    expect((await limiter.take('k', API, 500)).remaining).toBe(0);
    expect(await limiter.take('k', API)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    await new Promise((resolve) => setTimeout(resolve, 250));
    const { remaining } = await limiter.peek('k', API, 0);
    expect(remaining).toBeGreaterThanOrEqual(24);
    expect(remaining).toBeLessThan(60);
  });

  it('two instances on two connections share one bucket, atomically', async () => {
    const a = new RedisRateLimiter({ redis: await connect(), prefix });
    const b = new RedisRateLimiter({ redis: await connect(), prefix });
    const decisions = await Promise.all(
      Array.from({ length: 600 }, (_, i) => (i % 2 === 0 ? a : b).take('shared', FROZEN)),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(500);
    expect((await a.peek('shared', FROZEN)).allowed).toBe(false);
    expect((await b.peek('shared', FROZEN)).allowed).toBe(false);
  });

  it('prefixes keys and expires them once the bucket would be full again', async () => {
    const admin = await connect();
    const limiter = new RedisRateLimiter({ redis: admin, prefix, ttlSlackMs: 1000 });
    await limiter.peek('k', API);
    expect(await admin.exists(`${prefix}k`)).toBe(0);
    await limiter.take('k', API, 500);
    const ttl = await admin.pttl(`${prefix}k`);
    expect(ttl).toBeGreaterThan(5000);
    expect(ttl).toBeLessThanOrEqual(6000);
  });

  it('fails open, fast, and reports when Redis is unreachable', async () => {
    const onError = vi.fn();
    const started = Date.now();
    const limiter = new RedisRateLimiter({
      redis: 'redis://127.0.0.1:1',
      prefix,
      onError,
      connectTimeoutMs: 200,
    });
    expect(await limiter.take('k', API)).toMatchObject({ allowed: true, remaining: 499 });
    await vi.waitFor(() => expect(onError).toHaveBeenCalled(), { timeout: 2000 });
    expect((await limiter.take('k', API, 500)).allowed).toBe(true);
    await limiter.close();
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('fails open and reports when a command fails', async () => {
    const admin = await connect();
    await admin.set(`${prefix}k`, 'not a bucket');
    const onError = vi.fn();
    const limiter = new RedisRateLimiter({ redis: admin, prefix, onError });
    expect((await limiter.take('k', API)).allowed).toBe(true);
    expect(onError).toHaveBeenCalledWith(
      expect.objectContaining({ message: expect.stringMatching(/WRONGTYPE/) }),
    );
  });

  it('fails open after commandTimeoutMs when Redis stops answering', async () => {
    // A server that gets through ioredis's handshake (CLIENT SETINFO, INFO) and then never
    // answers again, as a wedged Redis or a black-holed connection would.
    const silent: Server = createServer((socket) => {
      socket.on('data', (data) => {
        for (const [, command] of data.toString().matchAll(/\*\d+\r\n\$\d+\r\n(\w+)/g)) {
          if (/^client$/i.test(command!)) socket.write('+OK\r\n');
          if (/^info$/i.test(command!)) socket.write('$0\r\n\r\n');
        }
      });
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const onError = vi.fn();
    const limiter = new RedisRateLimiter({
      redis: `redis://127.0.0.1:${port}`,
      onError,
      commandTimeoutMs: 100,
    });
    await vi.waitFor(() =>
      expect((limiter as unknown as { redis: Redis }).redis.status).toBe('ready'),
    );
    const started = Date.now();
    expect((await limiter.take('k', API)).allowed).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(onError).toHaveBeenCalledWith(
      expect.objectContaining({ message: expect.stringMatching(/timed out/i) }),
    );
    await limiter.close();
    silent.close();
  });
});
