import { INGEST_EVENTS, ingestBody } from './bodies.js';
import { measurePair, type Side } from './compare.js';
import { freshDatabase } from './databases.js';
import type { BenchOptions } from './options.js';
import { rawInsertSide } from './raw-insert.js';
import { prepareTessera } from './setup.js';
import { httpSide } from './sides.js';
import { call, type Tessera } from './tessera-server.js';

/** Scenario 3: `POST /v1/events`, 200 events over 50 profiles per request. */
export function ingestSide(name: string, options: BenchOptions, t: Tessera): Side {
  const request = { method: 'POST' as const, path: '/v1/events', body: ingestBody };
  return httpSide(name, options, t.url, request, t.auth, t);
}

export async function ingestScenario(options: BenchOptions, dir: string): Promise<void> {
  process.stdout.write(
    `\ningest: POST /v1/events, ${INGEST_EVENTS}-event batches over 50 profiles vs raw batched inserts (${options.engine})\n`,
  );
  const p = await prepareTessera(options, dir, 'ingest');
  const rawDb = await freshDatabase(options.engine, dir, 'ingest-raw');
  try {
    // One batch first: every event must be accepted, or the figures would measure refusals.
    const started = performance.now();
    const answer = JSON.parse(await call(p.t.url, 'POST', '/v1/events', p.t.auth, ingestBody()));
    if (answer.accepted !== INGEST_EVENTS)
      throw new Error(
        `ingest accepted ${answer.accepted} of ${INGEST_EVENTS}: ${JSON.stringify(answer).slice(0, 500)}`,
      );
    process.stdout.write(`  one batch alone: ${(performance.now() - started).toFixed(0)} ms\n`);
    const raw = await rawInsertSide(rawDb);
    try {
      await measurePair(
        options,
        `ingest (${options.engine})`,
        ingestSide('Tessera', options, p.t),
        raw,
        {
          unit: 'events/s',
          perRequest: INGEST_EVENTS,
          target: '≥ 0.5×',
        },
      );
    } finally {
      await raw.close();
    }
  } finally {
    await p.stop();
    await rawDb.drop();
  }
}
