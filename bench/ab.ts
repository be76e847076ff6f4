import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { INGEST_EVENTS } from './bodies.js';
import { formatResults, measurePair, results, type Side } from './compare.js';
import { type BenchOptions, parseOptions } from './options.js';
import { ingestSide } from './scenario-ingest.js';
import { personalizeSide } from './scenario-personalize.js';
import { readSide } from './scenario-read.js';
import { type Prepared, prepareTessera } from './setup.js';

/**
 * `npx tsx bench/ab.ts <personalize|read|ingest> <cliA> <cliB> [flags]`: two builds of Tessera
 * (each a built `dist/cli.js`, e.g. one copied aside before a change) measured against each
 * other in the same way as a scenario against its baseline: each on a fresh database, runs
 * alternating A, B, A, B…, medians, CPU per unit. Compare a change with this, never with
 * figures from another hour: this machine's speed drifts. Flags as `npm run bench`.
 */
const [scenario, cliA, cliB, ...flags] = process.argv.slice(2);
const scenarios: Record<string, (name: string, o: BenchOptions, p: Prepared) => Side> = {
  personalize: (name, o, p) => personalizeSide(name, o, p.t, p.knownIds),
  read: (name, o, p) => readSide(name, o, p.t),
  ingest: (name, o, p) => ingestSide(name, o, p.t),
};
if (!scenario || !scenarios[scenario] || !cliA || !cliB) {
  process.stderr.write(
    'usage: npx tsx bench/ab.ts <personalize|read|ingest> <cliA> <cliB> [flags]\n',
  );
  process.exit(2);
}
const options = parseOptions([scenario, ...flags]);
const dir = mkdtempSync(join(tmpdir(), 'tessera-ab-'));
try {
  const a = await prepareTessera(options, dir, 'a', { cli: resolve(cliA) });
  const b = await prepareTessera(options, dir, 'b', { cli: resolve(cliB) });
  try {
    const side = (name: string, p: Prepared) => scenarios[scenario]!(name, options, p);
    await measurePair(options, scenario, side(`A ${cliA}`, a), side(`B ${cliB}`, b), {
      unit: scenario === 'ingest' ? 'events/s' : 'req/s',
      perRequest: scenario === 'ingest' ? INGEST_EVENTS : 1,
      target: 'A/B',
    });
    process.stdout.write(`\n${formatResults(results)}\n`);
  } finally {
    await a.stop();
    await b.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
