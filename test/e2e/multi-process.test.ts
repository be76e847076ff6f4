import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureBuilt,
  type RawResponse,
  rawRequest,
  type ServerProcess,
  startServerProcess,
} from '../helpers/server-process.js';
import { databaseUrlForDir, dropDatabaseForDir, testEngine } from '../helpers/test-database.js';

/**
 * `tessera serve --workers 3` as a real process tree on one database of the test engine (a
 * PostgreSQL database of its own, or a SQLite file the three workers share), with Redis.
 * Requests go on fresh connections, which node:cluster deals out to the workers in turn.
 */
const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'tessera-multi-'));
let server: ServerProcess;
let key: string;
const NDJSON = 'application/x-ndjson';

const call = (method: string, p: string, body?: unknown, as: string | null = key) =>
  rawRequest(server.url, method, p, as, body);

/** The workers' pids that logged an incoming request for `route`. */
function pidsServing(route: string): Set<number> {
  const pids = new Set<number>();
  for (const line of server.output.text.split('\n')) {
    if (!line.startsWith('{') || !line.includes(route)) continue;
    const entry = JSON.parse(line) as { pid: number; msg: string; req?: { route?: string } };
    if (entry.msg === 'incoming request' && entry.req?.route === route) pids.add(entry.pid);
  }
  return pids;
}

/** Polls a job until it is done or failed. */
async function settle(statusPath: string): Promise<RawResponse['body']> {
  const deadline = Date.now() + 40_000;
  for (;;) {
    const res = await call('GET', statusPath);
    expect(res.status).toBe(200);
    if (res.body.status === 'done' || res.body.status === 'failed') return res.body;
    if (Date.now() > deadline) throw new Error(`job still ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Building dist (when a source is newer) may take a while on a busy machine: a hook of its own.
beforeAll(() => ensureBuilt(), 150_000);

beforeAll(async () => {
  server = await startServerProcess({
    args: ['--workers', '3'],
    env: {
      DATABASE_URL: await databaseUrlForDir(dir),
      REDIS_URL: 'redis://127.0.0.1:6379',
      TESSERA_REDIS_PREFIX: `tessera-test-${randomBytes(6).toString('hex')}:`,
      TESSERA_DATABASE_POOL_SIZE: '4',
      LOG_LEVEL: 'info',
    },
  });
  key = server.adminKey!;
}, 60_000);

afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGKILL');
    await server.exited;
  }
  await dropDatabaseForDir(dir);
  rmSync(dir, { recursive: true, force: true });
});

describe(`serve --workers 3 on one ${testEngine} database`, { timeout: 60_000 }, () => {
  it('migrates and prints the first admin key once, from the primary', () => {
    expect(server.output.text).toMatch(/with 3 workers/);
    expect(server.output.text.match(/tsk_/g)).toHaveLength(1);
    expect(server.output.text).not.toMatch(/rate limits .* per process/);
  });

  it('warns at start, without REDIS_URL, that rate limits are per process', async () => {
    // Production without a master key stops right after the warnings: no worker is forked.
    const env: Record<string, string | undefined> = {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: `sqlite://${path.join(dir, 'warn.db')}`,
    };
    delete env.REDIS_URL;
    delete env.TESSERA_MASTER_KEY;
    const failed = await run(process.execPath, ['dist/cli.js', 'serve', '--workers', '2'], {
      env,
    }).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(
      /warning: 2 workers without REDIS_URL: rate limits .* are per process/,
    );
  });

  it('loses no update when every worker writes the same profile at once', async () => {
    await call('POST', '/v1/profiles/userId:shared/events', {
      events: [{ type: 'identify', messageId: 'first', traits: { start: true } }],
    });
    const answers = await Promise.all(
      Array.from({ length: 45 }, (_, i) =>
        call('POST', '/v1/profiles/userId:shared/events', {
          events: [
            { type: 'identify', messageId: `id-${i}`, traits: { [`t${i}`]: i } },
            { type: 'track', messageId: `tr-${i}`, event: 'Tick' },
          ],
        }),
      ),
    );
    // A profile really overloaded may answer 429 (nothing applied); nothing else may happen.
    const ok = answers.flatMap((a, i) => (a.status === 200 ? [i] : []));
    for (const a of answers.filter((a) => a.status !== 200)) {
      expect(a.status).toBe(429);
      expect(a.body.code).toBe('profile_overloaded');
    }
    expect(ok.length).toBeGreaterThan(answers.length / 2);
    expect(pidsServing('/v1/profiles/:ref/events').size).toBe(3);

    const profile = (await call('GET', '/v1/profiles/userId:shared')).body;
    expect(profile.metadata.eventCount).toBe(1 + 2 * ok.length);
    const written = Object.keys(profile.traits).filter((t) => /^t\d+$/.test(t));
    expect(written.sort()).toEqual(ok.map((i) => `t${i}`).sort());
  });

  it('runs each queued import and export exactly once, whichever worker claims it', async () => {
    const imports = await Promise.all(
      Array.from({ length: 6 }, (_, j) => {
        const lines = Array.from({ length: 40 }, (_, n) =>
          JSON.stringify({ type: 'track', event: 'Imported', userId: `imp-${j}-${n % 10}` }),
        );
        return rawRequest(server.url, 'POST', '/v1/imports', key, lines.join('\n'), NDJSON);
      }),
    );
    expect(imports.every((res) => res.status === 202)).toBe(true);
    for (const created of imports) {
      const done = await settle(created.body.statusUrl);
      expect(done).toMatchObject({ status: 'done', attempts: 1 });
      expect(done.progress).toMatchObject({ lines: 40, applied: 40, duplicates: 0 });
    }
    const exported = await call('POST', '/v1/exports', { what: 'profiles' });
    expect(exported.status).toBe(202);
    const done = await settle(`/v1/exports/${exported.body.id}`);
    expect(done).toMatchObject({ status: 'done', attempts: 1 });
    const data = await call('GET', done.dataUrl);
    const ids = String(data.body)
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).id);
    expect(ids).toHaveLength(1 + 60);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('shares rate limits across workers through Redis', async () => {
    const tight = await call('POST', '/v1/credentials', {
      name: 'tight',
      scopes: ['read'],
      settings: { rateLimit: { ratePerSecond: 0.01, burst: 3 } },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await call('GET', '/v1/profiles', undefined, tight.body.secret)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    expect(pidsServing('/v1/profiles').size).toBe(3);
  });

  it('replaces a worker killed with SIGKILL, and stops every process on SIGTERM', async () => {
    const [, victim] = server.output.text.match(/"workerPid":(\d+),"msg":"worker listening"/)!;
    process.kill(Number(victim), 'SIGKILL');
    await server.waitFor(/"signal":"SIGKILL"[^\n]*"msg":"worker died; forking a replacement"/);
    await server.waitFor(/"worker":4,"workerPid":\d+,"msg":"worker listening"/, 40_000);
    expect((await call('GET', '/readyz', undefined, null)).status).toBe(200);

    const workers = [...server.output.text.matchAll(/"workerPid":(\d+),"msg":"worker listening"/g)]
      .map((m) => Number(m[1]))
      .filter((pid) => pid !== Number(victim));
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  });
});
