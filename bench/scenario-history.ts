import { measurePair } from './compare.js';
import { createProfile } from './definitions.js';
import type { BenchOptions } from './options.js';
import { openRaw } from './raw-db.js';
import { personalizeAnswer, personalizeSide } from './scenario-personalize.js';
import { seedHistory } from './seed.js';
import { prepareTessera } from './setup.js';

/**
 * Scenario 4: scenario 1 on a profile with a long stored history (100,000 events by default,
 * seeded directly) against one with 10, on the same server. The hot path must never read
 * history, so the two should be within 10 %.
 */
export async function historyScenario(options: BenchOptions, dir: string): Promise<void> {
  process.stdout.write(
    `\nhistory: personalize on a profile with ${options.historyEvents.toLocaleString('en-US')} stored events vs one with 10\n`,
  );
  const p = await prepareTessera(options, dir, 'history');
  try {
    const shortId = await createProfile(p.t, 'short-history-user');
    const raw = await openRaw(options.engine, p.db.location);
    try {
      // createProfile stored 2 events each; top up to the sizes compared.
      await seedHistory(raw, p.profileId, options.historyEvents - 2, '0000000c');
      await seedHistory(raw, shortId, 8, '0000000d');
      if (raw.engine === 'postgres') await raw.run('analyze');
    } finally {
      await raw.close();
    }
    await personalizeAnswer(p.t, p.profileId);
    await measurePair(
      options,
      'history',
      personalizeSide(
        `${options.historyEvents.toLocaleString('en-US')} events`,
        options,
        p.t,
        p.profileId,
      ),
      personalizeSide('10 events', options, p.t, shortId),
      { unit: 'req/s', target: '≥ 0.9×' },
    );
  } finally {
    await p.stop();
  }
}
