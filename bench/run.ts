import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { formatResults, results } from './compare.js';
import { type BenchOptions, parseOptions, SCENARIO_NAMES } from './options.js';
import { historyScenario } from './scenario-history.js';
import { ingestScenario } from './scenario-ingest.js';
import { personalizeScenario } from './scenario-personalize.js';
import { readScenario } from './scenario-read.js';
import { scaleScenario } from './scenario-scale.js';
import { workersScenario } from './scenario-workers.js';

/**
 * `npm run bench -- <scenario|all> [flags]`: Tessera (as built, `dist/`) against a baseline
 * measured in the same run on the same machine. Every server is its own child process; this
 * process only generates load (autocannon), and only one server is under load at a time.
 */

type Runner = (options: BenchOptions, dir: string) => Promise<void>;

const RUNNERS: Record<(typeof SCENARIO_NAMES)[number], Runner> = {
  personalize: personalizeScenario,
  read: readScenario,
  ingest: ingestScenario,
  history: historyScenario,
  scale: scaleScenario,
  workers: workersScenario,
};

function cpuModel(): string {
  const line = readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('model name'));
  return line?.split(':')[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
}

/** The machine and how busy it is: figures from a busy shared machine must say so. */
function machine(): string {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  let nproc = String(cpus().length);
  try {
    nproc = execSync('nproc', { encoding: 'utf8' }).trim();
  } catch {}
  return (
    `${new Date().toISOString()} · nproc ${nproc} · ${cpuModel()} · ` +
    `${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM · node ${process.version} · load average ${load}`
  );
}

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  process.stdout.write(
    `Tessera bench · ${machine()}\n${options.connections} connections, ${options.warmup} s warm-up, ` +
      `${options.runs} × ${options.duration} s runs per side (medians), engine ${options.engine}\n`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  // Also on Ctrl-C, which exits through process.exit and skips the `finally` below.
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', removeDir);
  try {
    const names = options.scenario === 'all' ? SCENARIO_NAMES : [options.scenario];
    for (const name of names) await RUNNERS[name as keyof typeof RUNNERS](options, dir);
    process.stdout.write(
      `\nDone · load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
    );
    if (results.length > 0) process.stdout.write(`\n${formatResults(results)}\n`);
    if (results.some((r) => r.sa.failed + r.sb.failed > 0)) {
      process.stdout.write(
        '\n!!! Some requests failed: the figures of those rows must not be quoted.\n',
      );
      process.exitCode = 1;
    }
  } finally {
    removeDir();
  }
}

await main();
