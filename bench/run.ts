import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pageEventBody, runLoad, type Sample, type Scenario } from './load.js';
import { type Child, listeningUrl, startChild } from './processes.js';
import { type Comparison, formatRun, formatTable, reportFailures } from './report.js';

/**
 * `npm run bench`: Tessera against a bare Fastify 5 server on the same request shapes, on
 * loopback. Each server runs in its own child process; this process only generates load, and
 * only one server is ever under load (the machine may have just 2 cores).
 */

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

const CONNECTIONS = envInt('BENCH_CONNECTIONS', 10);
const DURATION = envInt('BENCH_DURATION', 10);
const RUNS = envInt('BENCH_RUNS', 3);
const WARMUP = 2;
const PROFILE_REF = 'userId:bench-user';

export const SCENARIOS: Scenario[] = [
  {
    name: 'write',
    what: 'one page event for one known profile',
    method: 'POST',
    path: `/v1/profiles/${PROFILE_REF}/events`,
    body: pageEventBody,
  },
  { name: 'read', what: 'the profile', method: 'GET', path: `/v1/profiles/${PROFILE_REF}` },
];

const log = (line: string) => process.stdout.write(`${line}\n`);

/** One plain request (outside autocannon), failing on anything but 200. */
async function call(base: string, scenario: Scenario, headers: Record<string, string>) {
  const response = await fetch(base + scenario.path, {
    method: scenario.method,
    headers: scenario.body ? { ...headers, 'content-type': 'application/json' } : headers,
    body: scenario.body?.(),
  });
  const text = await response.text();
  if (response.status !== 200)
    throw new Error(`${scenario.method} ${scenario.path}: ${response.status} ${text}`);
  return text;
}

/**
 * Measures one scenario. Tessera is warmed up first and its answer captured, so the baseline
 * (started only now, fed that exact answer) sends the same bytes. Then the runs alternate
 * Tessera / baseline, so slow drift of the machine hits both sides alike.
 */
async function compare(
  scenario: Scenario,
  tesseraUrl: string,
  auth: Record<string, string>,
  dir: string,
  onTesseraSample: (s: Sample) => void,
): Promise<Comparison> {
  log(`\n${scenario.name}: ${scenario.method} ${scenario.path} (${scenario.what})`);
  const tesseraWarmup = await runLoad(tesseraUrl, scenario, auth, CONNECTIONS, WARMUP);
  onTesseraSample(tesseraWarmup);
  const answer = await call(tesseraUrl, scenario, auth);
  const answerFile = join(dir, `answer-${scenario.name}.json`);
  writeFileSync(answerFile, answer);

  let baseline: Child | undefined;
  try {
    baseline = await startChild(
      'baseline',
      ['bench/baseline-server.ts'],
      { PORT: '0', LOG_LEVEL: 'warn', BASELINE_ANSWER_FILE: answerFile },
      /listening on http/,
    );
    const baselineUrl = listeningUrl(baseline.stdout());
    const baselineAnswer = await call(baselineUrl, scenario, auth);
    const answerBytes = Buffer.byteLength(answer);
    if (Buffer.byteLength(baselineAnswer) !== answerBytes)
      throw new Error(
        `baseline answers ${Buffer.byteLength(baselineAnswer)} bytes, Tessera ${answerBytes}`,
      );
    const baselineWarmup = await runLoad(baselineUrl, scenario, auth, CONNECTIONS, WARMUP);

    const result: Comparison = {
      name: scenario.name,
      answerBytes,
      tessera: [],
      baseline: [],
      warmups: { tessera: tesseraWarmup, baseline: baselineWarmup },
    };
    for (let run = 1; run <= RUNS; run++) {
      const t = await runLoad(tesseraUrl, scenario, auth, CONNECTIONS, DURATION);
      onTesseraSample(t);
      result.tessera.push(t);
      log(formatRun(scenario.name, 'Tessera', run, t));
      const b = await runLoad(baselineUrl, scenario, auth, CONNECTIONS, DURATION);
      result.baseline.push(b);
      log(formatRun(scenario.name, 'baseline', run, b));
    }
    return result;
  } finally {
    await baseline?.stop();
  }
}

/**
 * A read/write key whose token bucket is sized for a benchmark: the default (100 requests/s
 * per credential) would turn the measurement into a measurement of 429s.
 */
async function benchKey(url: string, adminKey: string): Promise<string> {
  const res = await fetch(`${url}/v1/credentials`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'bench',
      scopes: ['read', 'write'],
      settings: { rateLimit: { ratePerSecond: 100_000, burst: 1_000_000 } },
    }),
  });
  if (res.status !== 201)
    throw new Error(`could not create the bench key: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { secret: string }).secret;
}

export async function main(): Promise<void> {
  log(
    `Tessera bench: ${CONNECTIONS} connections, ${WARMUP} s warm-up, ${RUNS} × ${DURATION} s runs, ` +
      `node ${process.version}, ${cpus().length} CPUs`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  // Also on Ctrl-C, which exits through process.exit and skips the `finally` below.
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', removeDir);
  let tessera: Child | undefined;
  try {
    tessera = await startChild(
      'tessera',
      ['dist/cli.js', 'serve'],
      // One process, like the baseline (`serve` forks one worker per core by default).
      {
        DATABASE_URL: `sqlite://${join(dir, 'bench.db')}`,
        PORT: '0',
        LOG_LEVEL: 'warn',
        TESSERA_WORKERS: '1',
      },
      /listening on http/,
      30_000,
      false,
    );
    const adminKey = /tsk_[A-Za-z0-9_-]+/.exec(tessera.stdout())?.[0];
    if (!adminKey) throw new Error(`no admin key in Tessera's output:\n${tessera.stdout()}`);
    const url = listeningUrl(tessera.stdout());
    const auth = { authorization: `Bearer ${await benchKey(url, adminKey)}` };

    // Create the profile first, so that the write scenario measures updates, not creation.
    // `writes` counts acknowledged writes, `sent` adds those cut off in flight at a run's end.
    let writes = 0;
    let sent = 0;
    await call(url, SCENARIOS[0]!, auth);
    writes += 1;
    sent += 1;
    const comparisons: Comparison[] = [];
    for (const scenario of SCENARIOS) {
      comparisons.push(
        await compare(scenario, url, auth, dir, (s) => {
          if (scenario.method !== 'POST') return;
          writes += s.ok;
          sent += s.sent;
        }),
      );
      if (scenario.method === 'POST') {
        writes += 1; // the answer captured for the baseline
        sent += 1;
      }
    }

    // Every acknowledged write must have been applied: a de-duplicated or dropped event
    // would make the write figures measure less work than they claim. Requests cut off at the
    // end of a run may be applied too, hence a range rather than an equality.
    const profile = JSON.parse(await call(url, SCENARIOS[1]!, auth)) as {
      metadata: { eventCount: number };
    };
    const applied = profile.metadata.eventCount;
    const writesOk = applied >= writes && applied <= sent;
    log(`\nwrites: acknowledged ${writes}, sent ${sent}, applied to the profile ${applied}`);

    log(`\n${formatTable(comparisons)}`);
    log('ratio = Tessera req/s ÷ baseline req/s (medians); latencies are medians of p50 and p99.');
    const invalid = reportFailures(comparisons);
    if (!writesOk) {
      log('\n!!! INVALID: events applied is outside [acknowledged, sent]: de-duplicated writes?');
    }
    if (invalid || !writesOk) process.exitCode = 1;
  } finally {
    await tessera?.stop();
    removeDir();
  }
}

await main();
