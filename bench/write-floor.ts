import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { uuidv7 } from 'uuidv7';
import { createStorage } from '../src/storage/storage.js';

/**
 * `npx tsx bench/write-floor.ts`: what SQLite alone costs for the write of one personalize
 * request, measured raw on better-sqlite3 (no HTTP, no Tessera code): the statements Tessera runs
 * for it (a savepoint, the messageId row, the profile document's update, the event row, the
 * release) in group transactions of 20 requests, on Tessera's own schema and pragmas, over 50
 * profiles with 1.4 KB documents. Prints CPU µs per request, the median of 5 rounds: a floor
 * under Tessera's personalize cost that no change of Tessera's own code can go below.
 */
const GROUP = 20;
const PROFILES = 50;
const REQUESTS = 40_000;

async function round(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-write-floor-'));
  try {
    const file = join(dir, 'floor.db');
    await (await createStorage(`sqlite://${file}`)).close();
    const db = new BetterSqlite3(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('wal_autocheckpoint = 0');
    db.pragma('cache_size = -65536');
    const state = JSON.stringify({ traits: { text: 'x'.repeat(1400) } });
    const body = JSON.stringify({ type: 'page', properties: { path: '/', text: 'y'.repeat(600) } });
    const ids = Array.from({ length: PROFILES }, () => uuidv7());
    const insertProfile = db.prepare(
      'insert into profiles (id, environment_id, version, state, created_at, updated_at, merged_into) values (?, ?, 1, ?, 0, 0, null)',
    );
    for (const id of ids) insertProfile.run(id, 'env', state);
    const run = (sql: string) => db.prepare(sql);
    const [begin, commit, savepoint, release] = [
      'begin immediate',
      'commit',
      'savepoint job',
      'release savepoint job',
    ].map(run) as [BetterSqlite3.Statement, ...BetterSqlite3.Statement[]];
    const dedupe = run(
      'insert into event_dedupe (environment_id, message_id, received_at) values (?, ?, ?)',
    );
    const update = run(
      'update profiles set state = ?, version = version + 1, updated_at = ?, merged_into = ? where id = ?',
    );
    const event = run(
      'insert into events (id, environment_id, profile_id, message_id, type, action, timestamp, received_at, body) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const started = process.cpuUsage();
    for (let i = 0; i < REQUESTS; i += GROUP) {
      begin!.run();
      for (let j = 0; j < GROUP; j++) {
        const profile = ids[(i + j) % PROFILES]!;
        const messageId = uuidv7();
        const now = Date.now();
        savepoint!.run();
        dedupe.run('env', messageId, now);
        update.run(state, now, null, profile);
        event.run(uuidv7(), 'env', profile, messageId, 'page', 'page', now, now, body);
        release!.run();
      }
      commit!.run();
      // Tessera checkpoints every second in a thread of its own; here, every 20,000 requests.
      if (i % 20_000 === 0) db.pragma('wal_checkpoint(PASSIVE)');
    }
    const used = process.cpuUsage(started);
    db.close();
    return (used.user + used.system) / REQUESTS;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rounds: number[] = [];
for (let i = 0; i < 5; i++) rounds.push(await round());
rounds.sort((a, b) => a - b);
process.stdout.write(
  `SQLite work of one personalize write, raw: ${rounds[2]!.toFixed(1)} µs of CPU per request (median of 5 rounds: ${rounds.map((r) => r.toFixed(1)).join(', ')})\n`,
);
