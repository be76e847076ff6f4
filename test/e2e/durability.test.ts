import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage } from '../../src/storage/storage.js';
import { ensureBuilt, type ServerProcess, startServerProcess } from '../helpers/server-process.js';
import { databaseUrlForDir, dropDatabaseForDir, testEngine } from '../helpers/test-database.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tessera-durability-'));
const running: ServerProcess[] = [];
// Building dist (when a source is newer) may take a while on a busy machine: a hook of its own.
beforeAll(() => ensureBuilt(), 150_000);
afterAll(async () => {
  for (const server of running) {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
  }
  await dropDatabaseForDir(dir);
  rmSync(dir, { recursive: true, force: true });
});

const CLIENTS = 6;
const BATCH = 25;

async function start(): Promise<ServerProcess> {
  // One process (no primary), so that SIGKILL hits the process that holds the database.
  // SQLite runs at the default synchronous level, NORMAL: the weakest one this test vouches for.
  const server = await startServerProcess({
    args: ['--workers', '1'],
    env: { DATABASE_URL: await databaseUrlForDir(dir), LOG_LEVEL: 'warn' },
  });
  running.push(server);
  return server;
}

describe(`kill -9 during a load (${testEngine})`, { timeout: 60_000 }, () => {
  it('keeps every event it acknowledged with 2xx', async () => {
    const server = await start();
    const key = server.adminKey!;
    const acknowledged = new Set<string>();
    let batches = 0;
    let failed = 0;
    let inFlight = 0;
    let killed = false;
    const client = async (c: number) => {
      for (let n = 0; !killed; n++) {
        const events = Array.from({ length: BATCH }, (_, i) => ({
          type: 'track',
          event: 'Loaded',
          userId: `u-${c}-${(n + i) % 4}`,
          messageId: `c${c}-b${n}-e${i}`,
        }));
        try {
          inFlight += 1;
          const res = await fetch(`${server.url}/v1/events`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify({ events }),
          });
          const body = (await res.json()) as { rejected?: Array<{ index: number }> };
          inFlight -= 1;
          if (res.status < 200 || res.status > 299) continue;
          const refused = new Set((body.rejected ?? []).map((r) => r.index));
          for (const [i, e] of events.entries()) if (!refused.has(i)) acknowledged.add(e.messageId);
          batches += 1;
        } catch {
          failed += 1; // the connection died with the server: not acknowledged
          return;
        }
      }
    };
    const load = Array.from({ length: CLIENTS }, (_, c) => client(c));
    // Killed while every client waits for an answer: with a fast server, clients spend much of
    // their time between requests, and a kill there would cut no request short.
    while (batches < 30 || inFlight < CLIENTS) await new Promise((r) => setImmediate(r));
    server.child.kill('SIGKILL');
    killed = true;
    await server.exited;
    await Promise.all(load);
    expect(failed).toBeGreaterThan(0);

    // The restart recovers the database (SQLite replays its WAL) and serves again.
    const again = await start();
    expect(again.adminKey).toBeUndefined();
    const storage = await createStorage(await databaseUrlForDir(dir), { migrate: false });
    try {
      const rows = await storage.db.selectFrom('events').select('message_id').execute();
      const stored = new Set(rows.map((r) => r.message_id));
      const lost = [...acknowledged].filter((id) => !stored.has(id));
      expect(lost).toEqual([]);
      expect(stored.size).toBeGreaterThanOrEqual(acknowledged.size);

      // The profile document was committed with its events: counts agree.
      const res = await fetch(`${again.url}/v1/profiles/userId:u-0-0`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const profile = (await res.json()) as { id: string; metadata: { eventCount: number } };
      const own = await storage.db
        .selectFrom('events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('profile_id', '=', profile.id)
        .executeTakeFirstOrThrow();
      expect(profile.metadata.eventCount).toBe(Number(own.n));
    } finally {
      await storage.close();
    }
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });
});
