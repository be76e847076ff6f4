import { INGEST_EVENTS } from './bodies.js';
import { measurePair } from './compare.js';
import type { BenchOptions } from './options.js';
import { mib } from './proc.js';
import { openRaw } from './raw-db.js';
import { ingestSide } from './scenario-ingest.js';
import { personalizeSide } from './scenario-personalize.js';
import { readSide } from './scenario-read.js';
import { seedScale, warmFileCache } from './seed.js';
import { prepareTessera } from './setup.js';

/**
 * Scenario 5: scenarios 1–3 on a store holding `--profiles` profiles and `--events` events
 * (seeded directly) against an empty one, two servers side by side (one loaded at a time). The
 * seeded server's peak RSS is the figure for the ≤ 300 MB target.
 */
export async function scaleScenario(options: BenchOptions, dir: string): Promise<void> {
  const size = `${options.profiles.toLocaleString('en-US')} profiles / ${options.events.toLocaleString('en-US')} events`;
  process.stdout.write(`\nscale: scenarios 1–3 with ${size} stored vs an empty store\n`);
  const empty = await prepareTessera(options, dir, 'scale-empty');
  try {
    const full = await prepareTessera(options, dir, 'scale-full');
    try {
      const raw = await openRaw(options.engine, full.db.location);
      try {
        await seedScale(raw, full.profileId, options.profiles, options.events);
      } finally {
        await raw.close();
      }
      if (options.engine === 'sqlite') await warmFileCache(full.db.location);
      const target = { unit: 'req/s', target: '≥ 0.8×' };
      await measurePair(
        options,
        'scale: personalize',
        personalizeSide('stored', options, full.t, full.knownIds),
        personalizeSide('empty', options, empty.t, empty.knownIds),
        target,
      );
      await measurePair(
        options,
        'scale: read',
        readSide('stored', options, full.t),
        readSide('empty', options, empty.t),
        target,
      );
      await measurePair(
        options,
        'scale: ingest',
        ingestSide('stored', options, full.t),
        ingestSide('empty', options, empty.t),
        { ...target, unit: 'events/s', perRequest: INGEST_EVENTS },
      );
      process.stdout.write(
        `  peak RSS with ${size} stored: ${mib(full.t.peakRssKiB())} (target ≤ 300 MB at 1M profiles); empty store: ${mib(empty.t.peakRssKiB())}\n`,
      );
    } finally {
      await full.stop();
    }
  } finally {
    await empty.stop();
  }
}
