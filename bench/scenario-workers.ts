import { measurePair } from './compare.js';
import type { BenchOptions } from './options.js';
import { personalizeAnswer, personalizeSide } from './scenario-personalize.js';
import { prepareTessera } from './setup.js';

/**
 * Scenario 6: scenario 1 on `serve --workers 2` against `--workers 1`.
 */
export async function workersScenario(options: BenchOptions, dir: string): Promise<void> {
  process.stdout.write('\nworkers: personalize on serve --workers 2 vs --workers 1\n');
  const two = await prepareTessera(options, dir, 'workers-2', { workers: 2 });
  try {
    const one = await prepareTessera(options, dir, 'workers-1', { workers: 1 });
    try {
      await personalizeAnswer(two.t, two.profileId);
      await personalizeAnswer(one.t, one.profileId);
      await measurePair(
        options,
        'workers',
        personalizeSide('--workers 2', options, two.t, two.knownIds),
        personalizeSide('--workers 1', options, one.t, one.knownIds),
        { unit: 'req/s', target: '≥ 1.6×' },
      );
    } finally {
      await one.stop();
    }
  } finally {
    await two.stop();
  }
}
