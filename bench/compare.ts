import { failures, median, type Sample } from './load.js';
import type { BenchOptions } from './options.js';
import { mib } from './proc.js';

/** One side of a comparison: something that can be loaded for a number of seconds. */
export interface Side {
  name: string;
  load(seconds: number): Promise<Sample>;
  /** Peak RSS (KiB) of the server process, when the side is a server. */
  peakRssKiB?: () => number;
  /** CPU time (ms) the side's processes used so far: the server's, or this process's. */
  cpuMs?: () => number;
}

/** A run's sample with the CPU the side used per unit (request, or event), when known. */
type Measured = Sample & { cpuUsPerUnit?: number };

export interface Summary {
  rate: number;
  p50: number;
  p99: number;
  failed: number;
  rssKiB?: number;
  /** Median CPU time per unit (µs): the cost of one request (or event) on the server's cores. */
  cpuUsPerUnit?: number;
}

/** What one scenario measured, as printed in the closing table. */
export interface ResultRow {
  scenario: string;
  a: string;
  b: string;
  unit: string;
  sa: Summary;
  sb: Summary;
  ratio: number;
  target: string;
}

export const results: ResultRow[] = [];

const log = (line: string) => process.stdout.write(`${line}\n`);
// autocannon records latencies in whole milliseconds, so 0 means "under 1 ms", not free.
export const ms = (v: number) => (v === 0 ? '<1' : Number.isInteger(v) ? String(v) : v.toFixed(1));
export const num = (v: number) => Math.round(v).toLocaleString('en-US');

function summarize(samples: Measured[], perRequest: number, side: Side): Summary {
  const cpu = samples.flatMap((s) => (s.cpuUsPerUnit === undefined ? [] : [s.cpuUsPerUnit]));
  return {
    rate: median(samples.map((s) => s.reqPerSec)) * perRequest,
    p50: median(samples.map((s) => s.p50)),
    p99: median(samples.map((s) => s.p99)),
    failed: failures(samples),
    rssKiB: side.peakRssKiB?.(),
    cpuUsPerUnit: cpu.length > 0 ? median(cpu) : undefined,
  };
}

/**
 * One measured run, with the CPU the side's processes used during it per unit answered
 * (requests completed × `perRequest`): what a request costs, whatever the load generator on the
 * same cores leaves to the server.
 */
async function measure(side: Side, seconds: number, perRequest: number): Promise<Measured> {
  const before = side.cpuMs?.();
  const sample: Measured = await side.load(seconds);
  if (before !== undefined && sample.ok > 0)
    sample.cpuUsPerUnit = ((side.cpuMs!() - before) * 1000) / (sample.ok * perRequest);
  return sample;
}

const cpu = (us: number | undefined) =>
  us === undefined ? '–' : `${us.toFixed(us < 10 ? 1 : 0)} µs`;
/** `req/s` → `req`, `events/s` → `event`: what one unit of CPU time is spent on. */
const unitName = (unit: string) => unit.replace(/s?\/s$/, '');

function runLine(side: string, run: number, s: Measured, perRequest: number, unit: string) {
  const bad = s.non2xx + s.errors + s.timeouts;
  return (
    `    run ${run} ${side.padEnd(22)} ${num(s.reqPerSec * perRequest).padStart(8)} ${unit}  ` +
    `p50 ${ms(s.p50)} ms  p99 ${ms(s.p99)} ms` +
    (s.cpuUsPerUnit === undefined ? '' : `  CPU ${cpu(s.cpuUsPerUnit)}/${unitName(unit)}`) +
    (bad ? `  FAILED ${bad} ${JSON.stringify(s.statusCodes)} errors ${s.errors}` : '')
  );
}

/**
 * Warms both sides up, then alternates measured runs A, B, A, B…, so that slow drift of a
 * shared machine hits both alike; prints every run, the medians and the ratio A ÷ B.
 */
export async function measurePair(
  options: BenchOptions,
  scenario: string,
  a: Side,
  b: Side,
  report: { unit: string; perRequest?: number; target: string },
): Promise<ResultRow> {
  const perRequest = report.perRequest ?? 1;
  const warmA = await a.load(options.warmup);
  const warmB = await b.load(options.warmup);
  const samplesA: Measured[] = [];
  const samplesB: Measured[] = [];
  for (let run = 1; run <= options.runs; run++) {
    const sa = await measure(a, options.duration, perRequest);
    samplesA.push(sa);
    log(runLine(a.name, run, sa, perRequest, report.unit));
    const sb = await measure(b, options.duration, perRequest);
    samplesB.push(sb);
    log(runLine(b.name, run, sb, perRequest, report.unit));
  }
  const sa = summarize(samplesA, perRequest, a);
  const sb = summarize(samplesB, perRequest, b);
  const row: ResultRow = {
    scenario,
    a: a.name,
    b: b.name,
    unit: report.unit,
    sa,
    sb,
    ratio: sa.rate / sb.rate,
    target: report.target,
  };
  results.push(row);
  const extras = (s: Summary) =>
    (s.rssKiB ? `  peak RSS ${mib(s.rssKiB)}` : '') +
    (s.cpuUsPerUnit === undefined
      ? ''
      : `  CPU ${cpu(s.cpuUsPerUnit)} per ${unitName(report.unit)}`);
  log(
    `  ${a.name}: ${num(sa.rate)} ${report.unit}, p50 ${ms(sa.p50)} ms, p99 ${ms(sa.p99)} ms${extras(sa)}`,
  );
  log(
    `  ${b.name}: ${num(sb.rate)} ${report.unit}, p50 ${ms(sb.p50)} ms, p99 ${ms(sb.p99)} ms${extras(sb)}`,
  );
  log(`  ${scenario}: ratio ${row.ratio.toFixed(2)}× (target ${report.target})`);
  const empty = [...samplesA, ...samplesB].filter((s) => s.ok === 0).length;
  if (empty > 0)
    log(
      `  !!! INVALID: ${empty} run(s) completed no request (each took longer than the run): use a longer --duration.`,
    );
  const warmFailures = failures([warmA]) + failures([warmB]);
  if (sa.failed + sb.failed + warmFailures > 0)
    log(`  !!! INVALID: ${sa.failed + sb.failed + warmFailures} failed requests; do not quote.`);
  return row;
}

/** The closing table, in Markdown, ready for bench/README.md. */
export function formatResults(rows: ResultRow[]): string {
  const lines = [
    '| scenario | A | B | A | B | ratio A÷B | target | A p50/p99 ms | B p50/p99 ms | A / B peak RSS | A / B CPU per unit | failed A/B |',
    '|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const rss = (s: Summary) => (s.rssKiB ? mib(s.rssKiB) : '–');
    lines.push(
      `| ${r.scenario} | ${r.a} | ${r.b} | ${num(r.sa.rate)} ${r.unit} | ${num(r.sb.rate)} ${r.unit} | ` +
        `${r.ratio.toFixed(2)}× | ${r.target} | ${ms(r.sa.p50)} / ${ms(r.sa.p99)} | ` +
        `${ms(r.sb.p50)} / ${ms(r.sb.p99)} | ${rss(r.sa)} / ${rss(r.sb)} | ` +
        `${cpu(r.sa.cpuUsPerUnit)} / ${cpu(r.sb.cpuUsPerUnit)} | ${r.sa.failed} / ${r.sb.failed} |`,
    );
  }
  return lines.join('\n');
}
