import { uuidv7 } from 'uuidv7';
import { createStorage } from '../src/storage/storage.js';
import { INGEST_EVENTS, INGEST_PROFILES, ingestBody } from './bodies.js';
import type { Side } from './compare.js';
import type { FreshDatabase } from './databases.js';
import { median, type Sample } from './load.js';
import { openRaw, type RawDb } from './raw-db.js';

/**
 * The ingest baseline: the rows Tessera stores for a 200-event batch (one `events` row and one
 * `event_dedupe` row per event), inserted raw in one transaction per batch, one batch after the
 * other, into a fresh database of the same engine with Tessera's schema and SQLite pragmas.
 * No HTTP, no validation, no profile: what the database alone costs for the data.
 */
export async function rawInsertSide(db: FreshDatabase): Promise<Side & { close(): Promise<void> }> {
  // Tessera's own migrations, so tables and indexes are exactly Tessera's.
  const storage = await createStorage(db.url);
  await storage.close();
  const raw = await openRaw(db.engine, db.location);
  const environmentId = uuidv7();
  const profileIds = Array.from({ length: INGEST_PROFILES }, () => uuidv7());
  return {
    name: 'raw batched inserts',
    load: (seconds) => insertFor(raw, environmentId, profileIds, seconds),
    // This process does the inserts (on PostgreSQL, the server's backend is not counted, as
    // it is not for Tessera either).
    cpuMs: () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    },
    close: () => raw.close(),
  };
}

const EVENT_COLUMNS = 9;
// SQLite caps bound parameters per statement; Tessera inserts 100 events per statement too.
const ROWS_PER_STATEMENT = 100;

async function insertBatch(raw: RawDb, environmentId: string, profileIds: string[]) {
  const now = Date.now();
  const events = (JSON.parse(ingestBody()) as { events: Array<Record<string, unknown>> }).events;
  const rows = events.map((event, i) => [
    uuidv7(),
    environmentId,
    profileIds[i % profileIds.length]!,
    event.messageId as string,
    event.type as string,
    (event.event as string | undefined) ?? 'page',
    now,
    now,
    JSON.stringify({ ...event, timestamp: now, receivedAt: now }),
  ]);
  await raw.transaction(async () => {
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
      await raw.run(
        `insert into events (id, environment_id, profile_id, message_id, type, action, timestamp, received_at, body) values ${chunk
          .map(() => `(${Array(EVENT_COLUMNS).fill('?').join(', ')})`)
          .join(', ')}`,
        chunk.flat(),
      );
      await raw.run(
        `insert into event_dedupe (environment_id, message_id, received_at) values ${chunk
          .map(() => '(?, ?, ?)')
          .join(', ')}`,
        chunk.flatMap((row) => [environmentId, row[3], now]),
      );
    }
  });
}

/** Inserts batch after batch for `seconds`; a "request" is one 200-row batch. */
async function insertFor(
  raw: RawDb,
  environmentId: string,
  profileIds: string[],
  seconds: number,
): Promise<Sample> {
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    await insertBatch(raw, environmentId, profileIds);
    latencies.push(performance.now() - t0);
  }
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? 0;
  return {
    reqPerSec: latencies.length / elapsed,
    p50: Math.round(median(latencies) * 10) / 10,
    p99: Math.round(p99 * 10) / 10,
    ok: latencies.length,
    sent: latencies.length,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    statusCodes: {},
  };
}

export const EVENTS_PER_BATCH = INGEST_EVENTS;
